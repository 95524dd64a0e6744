"""Checks across the whole content, after each file validated on its own.

Errors make ``baken content check`` fail: unknown targets, unreachable-by-design
mistakes such as dead ends and loops without a question, unknown services or
text keys, missing Dutch texts. Warnings point at what an operator should look
at: missing translations, stale translations (the Dutch text changed since),
unreachable states, services verified more than a year ago, and Dutch sentences
that are too long to read easily.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from rapidfuzz import process

from flows.content import DEFAULT_LANG, Content, Problem, Severity
from flows.lint_texts import (
    lint_empty,
    lint_labels,
    lint_stale,
    lint_texts,
    lint_variants,
)
from flows.machine import branches
from flows.match import normalise
from flows.schema import Branch, Condition, Flow
from flows.session import FACT_CRISIS, FACT_LANGUAGE
from flows.texts import DAYS, SYSTEM_TEXTS
from flows.understanding.crisis_check import lint_crisis

# Readability: Dutch at B1 or simpler. Averages over one message.
STALE_AFTER = dt.timedelta(days=365)


def lint(
    content: Content,
    today: dt.date | None = None,
    *,
    channel_texts: Iterable[str] = (),
    channels: Iterable[str] | None = None,
) -> list[Problem]:
    """Every cross-file problem in ``content``.

    ``today`` judges whether service facts are more than a year old; without it that
    check is skipped (the engine's package reads no clock: the host passes the date).
    ``channel_texts`` are the keys the host's channels use, required like the engine's.
    ``channels`` are the names of the host's channels (``key@name`` variants); without
    them a variant's channel name is not checked.
    """
    problems: list[Problem] = []
    used: dict[str, tuple[str, tuple[str | int, ...]]] = {}

    for name, flow in content.flows.items():
        problems.extend(_lint_flow(content, name, flow, used))

    screens_file = "screens.yaml"
    for screen_name in type(content.screens).model_fields:
        screen = getattr(content.screens, screen_name)
        if screen is None:
            continue
        for i, key in enumerate(screen.say):
            used.setdefault(key, (screens_file, (screen_name, "say", i)))
        for i, service in enumerate(screen.links):
            if service not in content.services:
                problems.append(
                    _unknown_service(content, screens_file, (screen_name, "links", i), service)
                )

    for key in (*SYSTEM_TEXTS, *channel_texts):
        used.setdefault(key, (f"texts/{DEFAULT_LANG}.yaml", ()))
    for lang in content.languages:
        used.setdefault(f"language.{lang}", (f"texts/{lang}.yaml", ()))

    problems.extend(lint_variants(content, used, channels))
    problems.extend(lint_empty(content, used, (*SYSTEM_TEXTS, *channel_texts)))
    problems.extend(lint_texts(content, used))
    labels = {
        o.label_key for f in content.flows.values() for s in f.states.values() for o in s.options
    }
    problems.extend(lint_labels(content, labels))
    problems.extend(lint_stale(content))
    problems.extend(_lint_services(content, today))
    problems.extend(_lint_phrases(content))
    problems.extend(lint_crisis(content))
    return problems


# ------------------------------------------------------------------ flows


def _lint_flow(
    content: Content, name: str, flow: Flow, used: dict[str, tuple[str, tuple[str | int, ...]]]
) -> Iterator[Problem]:
    file = f"flows/{name}.yaml"
    loc = content.locator
    names = list(flow.states)
    states = flow.states

    if flow.start not in states:
        yield loc.problem(file, ("start",), f"start state '{flow.start}' does not exist")

    # Facts a condition can test besides the questions (flows/session.py).
    facts = {FACT_CRISIS: {"suicide", "danger"}, FACT_LANGUAGE: set(content.languages)}
    for fact in facts:
        if fact in states:
            yield loc.problem(
                file, ("states", fact), f"'{fact}' is a fact for conditions; name the state else"
            )

    def check_target(path: tuple[str | int, ...], target: str) -> Iterator[Problem]:
        if target not in states:
            hint = _closest(target, names)
            yield loc.problem(file, path, f"goes to '{target}', but there is no such state{hint}")

    def check_condition(path: tuple[str | int, ...], when: Condition | None) -> Iterator[Problem]:
        for question, options in (when or {}).items():
            state = states.get(question)
            if question in facts and state is None:
                known = facts[question]
            elif state is None or not state.options:
                yield loc.problem(
                    file, path, f"condition on '{question}', which is not a question here"
                )
                continue
            else:
                known = {o.id for o in state.options}
            for option in options:
                if option not in known:
                    yield loc.problem(
                        file,
                        path,
                        f"condition: '{question}' has no option '{option}'"
                        f"{_closest(option, sorted(known))}",
                    )

    def check_next(
        path: tuple[str | int, ...], value: object, following: str | None, is_last_state: bool
    ) -> Iterator[Problem]:
        if value is None:
            if following is None and is_last_state:
                yield loc.problem(
                    file,
                    path,
                    "this is the last state and says nothing about where to go "
                    "next: add `next:` or `end: true`",
                )
            return
        if isinstance(value, str):
            yield from check_target((*path, "next"), value)
            return
        assert isinstance(value, list)
        for i, branch in enumerate(value):
            assert isinstance(branch, Branch)
            yield from check_target((*path, "next", i, "to"), branch.to)
            yield from check_condition((*path, "next", i, "when"), branch.when)
        if value and value[-1].when is not None:
            yield loc.problem(
                file,
                (*path, "next"),
                "the last branch has a `when`; add a last branch without `when`, "
                "so there is always a way on",
            )

    for position, (state_name, state) in enumerate(states.items()):
        base: tuple[str | int, ...] = ("states", state_name)
        following = names[position + 1] if position + 1 < len(names) else None
        last = following is None
        for i, line in enumerate(state.say):
            if isinstance(line, str):
                used.setdefault(line, (file, (*base, "say", i)))
            else:
                used.setdefault(line.text, (file, (*base, "say", i, "text")))
                yield from check_condition((*base, "say", i, "when"), line.when)
        if state.options and not state.say:
            yield loc.problem(file, base, "a question needs text: add `say:` with a text key")
        elif state.options and all(not isinstance(line, str) for line in state.say):
            yield loc.problem(
                file, (*base, "say"), "a question needs a text without `when`, said every time"
            )
        if not state.options and not state.say and state.handoff is None:
            yield loc.problem(file, base, "this state says nothing: add `say:`")
        for i, option in enumerate(state.options):
            opath = (*base, "options", i)
            used.setdefault(option.label_key, (file, opath))
            if option.summary:
                used.setdefault(option.summary, (file, (*opath, "summary")))
            if not state.end or option.next is not None:
                yield from check_next(opath, option.next, following, last)
            if option.set_lang and option.set_lang not in content.texts:
                yield loc.problem(
                    file, (*opath, "set_lang"), f"no texts for language '{option.set_lang}'"
                )
        if not state.options and not state.end:
            yield from check_next(base, state.next, following, last)
        for i, service in enumerate(state.links):
            if service not in content.services:
                yield _unknown_service(content, file, (*base, "links", i), service)
        if state.handoff is not None:
            for i, ref in enumerate(state.handoff.refs()):
                rpath = (*base, "handoff", "services", i)
                if ref.id not in content.services:
                    yield _unknown_service(content, file, rpath, ref.id)
                yield from check_condition(rpath, ref.when)
                if ref.why:
                    used.setdefault(ref.why, (file, rpath))

    for payload, presets in flow.deep_links.items():
        yield from check_condition(("deep_links", payload), {q: [o] for q, o in presets.items()})

    yield from _lint_graph(content, file, flow)


def _edges(flow: Flow) -> dict[str, set[str]]:
    names = list(flow.states)
    out: dict[str, set[str]] = {}
    for position, (name, state) in enumerate(flow.states.items()):
        following = names[position + 1] if position + 1 < len(names) else None
        targets: set[str] = set()
        nexts = [o.next for o in state.options] if state.options else [state.next]
        for value in nexts:
            if state.end and value is None:
                continue
            targets.update(b.to for b in branches(value, following) if b.to in flow.states)
        out[name] = targets
    return out


def _lint_graph(content: Content, file: str, flow: Flow) -> Iterator[Problem]:
    loc = content.locator
    edges = _edges(flow)
    if flow.start not in edges:
        return
    seen = {flow.start}
    todo = [flow.start]
    while todo:
        for target in edges[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for name in flow.states:
        if name not in seen:
            yield loc.problem(
                file,
                ("states", name),
                f"state '{name}' can never be reached from '{flow.start}'",
                "warning",
            )

    finals = {n for n, s in flow.states.items() if s.end or s.handoff is not None}
    good = set(finals)
    changed = True
    while changed:
        changed = False
        for name, targets in edges.items():
            if name not in good and targets & good:
                good.add(name)
                changed = True
    for name in flow.states:
        if name in seen and name not in good:
            yield loc.problem(
                file,
                ("states", name),
                f"from '{name}' the conversation can never reach an end or a "
                "handoff: add a way to a state with `end: true` or `handoff:`",
            )

    # States without a question run straight on; a loop of them would never stop.
    silent = {n for n, s in flow.states.items() if not s.options and not s.end}
    for start in silent:
        path = [start]
        current = start
        while True:
            nexts = [t for t in edges[current] if t in silent]
            if not nexts:
                break
            current = nexts[0]
            if current == start:
                yield loc.problem(
                    file,
                    ("states", start),
                    "these states run into each other in a loop without a "
                    f"question: {' -> '.join([*path, start])}",
                )
                break
            if current in path:
                break
            path.append(current)


def _unknown_service(
    content: Content, file: str, path: tuple[str | int, ...], service: str
) -> Problem:
    hint = _closest(service, sorted(content.services))
    return content.locator.problem(
        file, path, f"unknown service '{service}'{hint}; services are listed in services.yaml"
    )


def _closest(word: str, known: list[str]) -> str:
    best = process.extractOne(word, known, score_cutoff=70) if known else None
    return f" (did you mean '{best[0]}'?)" if best else ""


# ------------------------------------------------------------------ services


def _lint_services(content: Content, today: dt.date | None) -> Iterator[Problem]:
    loc = content.locator
    file = "services.yaml"
    for i, service in enumerate(content.services.values()):
        path: tuple[str | int, ...] = ("services", i)
        if not service.source:
            yield loc.problem(
                file,
                path,
                f"service '{service.id}' has no `source`: add the "
                "address of the page that states its facts",
            )
        if not (service.url or service.phone or service.email or service.chat_url):
            yield loc.problem(
                file,
                path,
                f"service '{service.id}' has no way to reach it: "
                "add `url`, `chat_url`, `phone` or `email`",
            )
        if service.verified_on is None:
            yield loc.problem(
                file, path, f"service '{service.id}' has no `verified_on` date", "warning"
            )
        elif today is not None and today - service.verified_on > STALE_AFTER:
            yield loc.problem(
                file,
                (*path, "verified_on"),
                f"service '{service.id}' was verified on {service.verified_on}, "
                "more than a year ago: check its facts again",
                "warning",
            )
        if (
            service.hours is not None
            and not service.hours.always
            and not any(getattr(service.hours, d) for d in DAYS)
        ):
            yield loc.problem(
                file,
                (*path, "hours"),
                f"service '{service.id}' has hours but no open times; "
                "leave `hours` out when they are not known",
            )
        for lang in content.languages:
            for field in ("name", "purpose"):
                if lang not in getattr(service, field):
                    severity: Severity = "error" if lang == DEFAULT_LANG else "warning"
                    yield loc.problem(
                        file,
                        (*path, field),
                        f"service '{service.id}' has no {field} in '{lang}'",
                        severity,
                    )


# ------------------------------------------------------------------ phrases


def _lint_phrases(content: Content) -> Iterator[Problem]:
    loc = content.locator
    for kind in ("suicide", "danger"):
        lists = getattr(content.crisis, kind)
        for lang in content.languages:
            if not lists.get(lang):
                yield loc.problem(
                    "phrases/crisis.yaml",
                    (kind,),
                    f"no {kind} phrases for '{lang}'",
                    "error" if lang == DEFAULT_LANG else "warning",
                )
    for name in ("help", "stop", "privacy", "language"):
        lists = getattr(content.intents, name)
        for lang in content.languages:
            if not lists.get(lang):
                yield loc.problem(
                    "phrases/intents.yaml", (name,), f"no '{name}' phrases for '{lang}'", "warning"
                )
    options = {o.id for f in content.flows.values() for s in f.states.values() for o in s.options}
    owner: dict[str, str] = {}
    for option, names in content.places.items():
        if option not in options:
            yield loc.problem(
                "phrases/places.yaml",
                (option,),
                f"places for '{option}', but no flow has that option",
                "warning",
            )
        for i, name in enumerate(names):
            if owner.setdefault(normalise(name), option) != option:
                yield loc.problem(
                    "phrases/places.yaml",
                    (option, i),
                    f"'{name}' is also listed under '{owner[normalise(name)]}'",
                )
    for lang, table in content.synonyms.items():
        for option in table:
            if option not in options:
                yield loc.problem(
                    "phrases/synonyms.yaml",
                    (lang, option),
                    f"synonyms for '{option}', but no flow has that option",
                    "warning",
                )
