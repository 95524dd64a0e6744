"""A small, fixed flow on top of the shipped texts and services, for engine tests.

Tests of engine behaviour must not break when operators rewrite the shipped
dialogue, so they run on this flow. It is installed in a copy of the shipped
content folder: the shipped texts, screens and phrases stay, the flow is
replaced and a few test texts and services are appended.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from flows.loader import default_content_dir

FLOW = """\
start: ask
deep_links:
  zelf: {who: me}
campaigns: [poster]
states:
  ask:
    say: [t.hello, t.ask]
    options:
      - {id: yes, label: t.yes, summary: t.sum_yes}
      - {id: no, label: t.no, next: finish}
  who:
    say: [t.who]
    options:
      - {id: me, label: t.me, summary: t.sum_me}
      - {id: friend, label: t.friend, summary: t.sum_friend}
  signs:
    say: [t.signs]
    multi: true
    options:
      - {id: money, label: t.money, summary: t.sum_money}
      - {id: sex, label: t.sex, summary: t.sum_sex}
      - {id: done, label: t.done, submit: true}
  info:
    say: [t.info]
    next:
      - {to: handoff_young, when: {who: [me]}}
      - {to: handoff_other}
  handoff_young:
    say: [t.handoff]
    handoff:
      services: [test_open, {id: test_office, when: {signs: [money]}, why: t.why}]
    options:
      - {id: go_on, label: t.go_on, next: finish}
  handoff_other:
    say: [t.handoff]
    handoff: {services: [test_office], summary: false}
    options:
      - {id: go_on, label: t.go_on, next: finish}
  finish:
    say: [t.bye]
    end: true
    options:
      - {id: again, label: t.again, next: ask, count: true}
"""

TEXTS = {
    "nl": """
t:
  hello: "Hallo test."
  ask: "Wil je verder?"
  yes: "Ja"
  no: "Nee"
  who: "Over wie gaat het?"
  me: "Over mij"
  friend: "Over een vriend"
  signs: "Wat gebeurt er?"
  money: "Geld"
  sex: "Seks"
  done: "Klaar"
  info: "Dank je."
  handoff: "Hier is hulp."
  why: "Omdat het over geld gaat."
  go_on: "Verder"
  bye: "Dag."
  again: "Nog een keer"
  sum_yes: "Ik wil verder."
  sum_me: "Het gaat over mij."
  sum_friend: "Het gaat over een vriend."
  sum_money: "Het gaat over geld."
  sum_sex: "Het gaat over seks."
""",
    "en": """
t:
  hello: "Hello test."
  ask: "Do you want to go on?"
  yes: "Yes"
  no: "No"
  who: "Who is it about?"
  me: "About me"
  friend: "About a friend"
  signs: "What is happening?"
  money: "Money"
  sex: "Sex"
  done: "Done"
  info: "Thank you."
  handoff: "Here is help."
  why: "Because it is about money."
  go_on: "Go on"
  bye: "Bye."
  again: "Once more"
  sum_yes: "I want to go on."
  sum_me: "This is about me."
  sum_friend: "This is about a friend."
  sum_money: "This is about money."
  sum_sex: "This is about sex."
""",
}

SERVICES = """
  - id: test_open
    name: {nl: "Altijd Open", en: "Always Open"}
    purpose: {nl: "Een test.", en: "A test."}
    url: https://example.org/open
    hours: {always: true}
    hours_verified: true
    source: https://example.org/source
    verified_on: 2026-11-01
  - id: test_office
    name: {nl: "Kantoor", en: "Office"}
    purpose: {nl: "Op werkdagen.", en: "On weekdays."}
    chat_url: https://example.org/chat
    phone: "0800-0000"
    phone_free: true
    hours:
      mon: ["09:00-17:00"]
      tue: ["09:00-17:00"]
      wed: ["09:00-17:00"]
      thu: ["09:00-17:00"]
      fri: ["09:00-17:00"]
    hours_verified: true
    languages: [nl, pl]
    languages_source: https://example.org/languages
    interpreter: true
    interpreter_source: https://example.org/interpreter
    source: https://example.org/source
    verified_on: 2026-11-01
"""


def make_content(root: Path, flow: str = FLOW) -> Path:
    """Install the mini flow in a copy of the shipped content under ``root``; return its path."""
    target = root / "content"
    shutil.copytree(default_content_dir(), target)
    for old in (target / "flows").glob("*.yaml"):
        old.unlink()
    (target / "flows" / "mini.yaml").write_text(flow, encoding="utf-8")
    # Dutch and English only: the engine's tests need no more languages.
    for other in (target / "texts").glob("*.yaml"):
        if other.stem not in TEXTS:
            other.unlink()
            (target / "texts" / "sources" / other.name).unlink(missing_ok=True)
    for lang, extra in TEXTS.items():
        path = target / "texts" / f"{lang}.yaml"
        path.write_text(
            path.read_text(encoding="utf-8").rstrip("\n") + "\n" + extra, encoding="utf-8"
        )
    # The English test texts were translated from these Dutch texts (not stale).
    sources = target / "texts" / "sources" / "en.yaml"
    with sources.open("a", encoding="utf-8") as out:
        for key, text in re.findall(r'^  (\w+): (".*")$', TEXTS["nl"], re.MULTILINE):
            out.write(f"t.{key}: {text}\n")
    services = target / "services.yaml"
    services.write_text(
        services.read_text(encoding="utf-8").rstrip("\n") + "\n" + SERVICES, encoding="utf-8"
    )
    (target / "phrases" / "places.yaml").unlink(missing_ok=True)  # no region question here
    synonyms = target / "phrases" / "synonyms.yaml"
    synonyms.write_text(
        "nl:\n  money: [poen, geld lenen]\nen:\n  money: [cash]\n", encoding="utf-8"
    )
    return target
