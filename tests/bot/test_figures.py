"""The published figures: what a conversation counts, on every channel alike, and that no
label can take a value outside its closed list (so nothing typed, no id, no time).

The conversations run through the real core, engine, content and memory store; the
channel is the smallest real one (tests/bot/test_conversation.py's ``Screen``).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from bot.conversation import Conversations, Incoming
from bot.figures import CHANNELS, Figures, Labels
from bot.metrics import FIGURES, Metrics
from bot.serving import ContentHolder
from bot.stores import MemoryStore
from flows import Choice, Command, Content, Count, Handoff, Start, Text
from tests.bot.test_conversation import KEYS, Screen

SAFE_YES = "Ja, het is veilig"


@pytest.fixture(scope="module")
def holder() -> ContentHolder:
    from flows.loader import default_content_dir

    return ContentHolder(default_content_dir())


def figures_on(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the published figures on the scrape page, by name and labels."""
    page = metrics.render()[0].decode()
    found = {}
    names = {f"{name}_total" for name in FIGURES}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if sample.name in names:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


class Person:
    """One conversation on one channel, pressing buttons by their labels."""

    def __init__(self, core: Conversations, channel: str, who: str) -> None:
        self.core, self.screen, self.who = core, Screen(name=channel), who

    async def do(self, event: Start | Choice | Text | Command, **extra: object) -> None:
        key = KEYS.key(self.screen.name, self.who)
        await self.core.receive(self.screen, self.who, Incoming(key, event, **extra))  # type: ignore[arg-type]

    async def press(self, label: str) -> None:
        await self.do(Choice(at=self.core.now(), data=self.screen.button(label)))


@pytest.mark.parametrize("channel", ["telegram", "web", "console"])
async def test_a_conversation_counts_the_same_on_every_channel(
    holder: ContentHolder, channel: str
) -> None:
    """Start by a campaign code in English, answer, skip, a crisis check, erase: each counted
    once, under the channel's name, with the same names and labels everywhere."""
    core = Conversations(holder, MemoryStore(3600))
    anna = Person(core, channel, "anna")
    await anna.do(Start(at=core.now(), payload="poster_school", lang="en"))
    await anna.press("Yes, it is safe")
    await anna.press("About me")
    await anna.press("No")  # danger
    await anna.press("Skip")  # age
    await anna.do(Text(at=core.now(), text="I want to kill myself"))
    await anna.do(Command(at=core.now(), name="stop"))
    value = core.metrics.value
    c = {"channel": channel}
    assert value("baken_conversations_started_total", **c, lang="en", way="poster_school") == 1
    funnel = {
        ("welcome", "reached"): 1,
        ("welcome", "answered"): 1,
        ("role", "reached"): 1,
        ("role", "answered"): 1,
        ("danger", "answered"): 1,
        ("self_age", "reached"): 1,
        ("self_age", "skipped"): 1,
        ("self_do", "reached"): 1,
        ("self_do", "left"): 1,
        ("self_life", "reached"): 0,
    }
    for (question, step), expected in funnel.items():
        assert value("baken_funnel_total", **c, question=question, step=step) == expected
    assert value("baken_leaving_total", **c, how="erase") == 1
    screens = figures_on(core.metrics)
    crisis = {k: v for k, v in screens.items() if k[0] == "baken_crisis_screens_total"}
    assert sum(crisis.values()) == 1  # a sure screen or a check, never both for one sentence
    assert all(dict(labels)["channel"] == channel for _, labels in screens)


async def test_a_handoff_and_did_this_help_and_quick_exit(holder: ContentHolder) -> None:
    """A deep link to the handoff: each service shown is counted with the handoff's audience;
    "did this help" by its answer; a quick exit apart from an ordinary erase."""
    core = Conversations(holder, MemoryStore(3600))
    bo = Person(core, "web", "bo")
    await bo.do(Start(at=core.now(), payload="iemand"))
    for label in (SAFE_YES, "Nee", "16 of 17", "Klaar", "Klaar", "Klaar"):
        await bo.press(label)
    for label in ("Nee, laat de hulp zien",):
        await bo.press(label)
    await bo.press("Provincie Groningen")
    shown = [
        (dict(labels)["service"], dict(labels)["audience"])
        for (name, labels), _ in figures_on(core.metrics).items()
        if name == "baken_handoff_services_total"
    ]
    assert ("fier", "other_handoff") in shown
    assert ("zorgcoordinator_groningen", "other_handoff") in shown
    await bo.press("Verder")  # the handoff's button
    await bo.press("Een beetje")
    value = core.metrics.value
    helped = {"question": "feedback", "option": "helped_bit"}
    assert value("baken_answers_total", channel="web", **helped) == 1
    assert value("baken_conversations_started_total", channel="web", lang="nl", way="iemand") == 1
    assert value("baken_funnel_total", channel="web", question="role", step="reached") == 0
    cy = Person(core, "web", "cy")
    await cy.do(Start(at=core.now()))
    await cy.do(Command(at=core.now(), name="stop"), quick_exit=True)
    assert value("baken_leaving_total", channel="web", how="quick_exit") == 1
    assert value("baken_leaving_total", channel="web", how="erase") == 0


def test_every_figure_has_its_closed_lists(holder: ContentHolder) -> None:
    """Each published counter has a closed list for each of its labels, and the lists come
    from the content and fixed words only (their size is bounded by the content)."""
    content = holder.engine.content
    sets = Labels.of(content).sets()
    assert {f"{n}_total" for n in FIGURES} == set(sets)
    for name, (_, labels) in FIGURES.items():
        assert set(sets[f"{name}_total"]) == set(labels)
    states = sum(len(f.states) for f in content.flows.values())
    for labels in sets.values():
        for values in labels.values():
            assert len(values) <= states + len(content.services) + 64


ANY_TEXT = st.text(max_size=40) | st.sampled_from(["fier", "welcome", "nl", "poster_school"])
METRICS = st.sampled_from(
    [
        *("entry", "campaign", "reached", "answered", "skipped", "left", "crisis_screen"),
        *("erase", "chosen", "crisis", "answer", "typed"),
    ]
) | st.text(max_size=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    counts=st.lists(st.builds(Count, METRICS, ANY_TEXT, ANY_TEXT), max_size=8),
    handoffs=st.lists(
        st.builds(Handoff, st.tuples(ANY_TEXT, ANY_TEXT), st.just(""), ANY_TEXT), max_size=2
    ),
    channel=ANY_TEXT | st.sampled_from(sorted(CHANNELS)),
    lang=ANY_TEXT,
    quick=st.booleans(),
)
def test_no_label_outside_its_list(
    holder: ContentHolder,
    counts: list[Count],
    handoffs: list[Handoff],
    channel: str,
    lang: str,
    quick: bool,
) -> None:
    """Whatever the outputs say (any text in any field), every label value on the scrape page
    is one of its closed list's values."""
    content = holder.engine.content
    sets = Labels.of(content).sets()
    metrics = Metrics()
    for name, labels in Figures().of_step(
        content, [*counts, *handoffs], channel=channel, lang=lang, quick_exit=quick
    ):
        metrics.figure(name, labels)
    for (name, labels), _ in figures_on(metrics).items():
        for label, value in labels:
            assert value in sets[name][label], (name, label, value)


def allowed_values(content: Content) -> set[str]:
    """Every label value any baken counter may show with this content: the figures' lists,
    the operators' fixed words, and the content's own ids (never anything else)."""
    from bot import metrics

    allowed: set[str] = {"other"}
    for labels in Labels.of(content).sets().values():
        for values in labels.values():
            allowed |= values
    allowed |= metrics.UPDATE_TYPES | metrics.REPLY_KINDS | metrics.WHERE
    allowed |= metrics.WEB_REFUSALS | metrics.WEB_RESUMED
    for flow in content.flows.values():
        allowed |= set(flow.deep_links) | set(flow.campaigns) | set(flow.states)
        for name, state in flow.states.items():
            allowed |= {o.id for o in state.options}
            allowed |= {f"{name}.{o.id}" for o in state.options}
    allowed |= set(content.texts) | set(content.services)
    engine_words = {  # what flows/ counts besides content ids (Count outputs)
        *("entry", "campaign", "language", "stale", "typed", "crisis", "crisis_check"),
        *("erase", "help", "error", "answer", "direct", "button", "global", "stop"),
        *("no_session", "asked", "not_understood", "not_understood_twice", "story"),
        *("unsure", "suicide", "danger", "both", "no"),
    }
    return allowed | engine_words


TYPED = st.text(max_size=60) | st.sampled_from(
    ["ik wil dood", "stop", "/start kanarie_x", "help", "English", "Over mij", "15", "ja"]
)
EVENTS = st.lists(
    st.one_of(
        st.builds(lambda t: Text(at=0, text=t), TYPED),
        st.builds(lambda d: Choice(at=0, data=d), st.text(max_size=30) | st.just("!stop")),
        st.builds(lambda p: Start(at=0, payload=p), st.none() | st.text(max_size=20)),
        st.builds(
            lambda n, a: Command(at=0, name=n, arg=a),
            st.sampled_from(["help", "stop", "taal", "privacy"]) | st.text(max_size=8),
            st.none() | st.text(max_size=10),
        ),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=EVENTS, channel=st.sampled_from(["telegram", "web", "console"]))
async def test_whatever_people_do_every_label_is_known(
    holder: ContentHolder, events: list[Start | Choice | Text | Command], channel: str
) -> None:
    """Real conversations with anything typed, pressed or sent as a code: every label value
    of every counter on the scrape page is in the closed lists (:func:`allowed_values`)."""
    core = Conversations(holder, MemoryStore(3600))
    person = Person(core, channel, "fuzz")
    for event in events:
        await person.do(event)
    allowed = allowed_values(holder.engine.content)
    page = core.metrics.render()[0].decode()
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            for label, value in sample.labels.items():
                if label != "le":
                    assert value in allowed, (sample.name, label, value)


async def test_stop_without_a_conversation_leaves_no_question(holder: ContentHolder) -> None:
    """/stop as the very first thing: an erase is counted, but no question was left."""
    core = Conversations(holder, MemoryStore(3600))
    await Person(core, "telegram", "dee").do(Command(at=core.now(), name="stop"))
    assert core.metrics.value("baken_leaving_total", channel="telegram", how="erase") == 1
    at_welcome = {"channel": "telegram", "question": "welcome", "step": "left"}
    left = core.metrics.value("baken_funnel_total", **at_welcome)
    assert left == 0
