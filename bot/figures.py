"""The figures an organisation can publish: what the conversation core counts, and the
closed lists every label value comes from.

The engine says what happened as :class:`~flows.events.Count` and
:class:`~flows.events.Handoff` outputs (codes only). The core hands them here once per
step, for every channel, with the channel's name and the conversation's language;
:class:`Figures` turns them into counters of :class:`bot.metrics.Metrics`. Every label
value is checked against :class:`Labels`: the channel names, the content's languages,
states, options, services, deep links and campaign codes, and a few fixed words. A value
outside its list becomes ``other``, so a label never carries anything a person typed,
an id or a time, and the number of series is bounded by the content.

The counters (one name and meaning on every channel):

- ``baken_conversations_started_total{channel,lang,way}``  way: ``direct``, a deep link,
  a campaign code, or ``other`` (an unknown code)
- ``baken_funnel_total{channel,question,step}``  step: reached, answered, skipped, left
- ``baken_handoff_services_total{channel,service,audience}``  audience: the handoff's state
- ``baken_crisis_screens_total{channel,kind,outcome}``  outcome: sure (the screen at once),
  possible (the check), yes / no (the answer to the check; ``no`` has kind ``any``)
- ``baken_leaving_total{channel,how}``  how: erase, quick_exit
- ``baken_answers_total{channel,question,option}``  options marked ``count: true`` in the
  flow ("did this help")
- ``baken_links_opened_total{service}``  a service link opened through ``GET /go/<service>``
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flows import Count, Handoff, Output
from flows.content import Content

OTHER = "other"

CHANNELS = frozenset({"telegram", "web", "console", "whatsapp"})
STEPS = ("reached", "answered", "skipped", "left")
CRISIS_KINDS = frozenset({"suicide", "danger", "both", "any"})
CRISIS_OUTCOMES = ("sure", "possible", "yes", "no")
LEAVING = ("erase", "quick_exit")
DIRECT = "direct"
# The engine's counts that only the figures use (the older conversation_events leaves them).
FIGURES_ONLY = frozenset({*STEPS, "crisis_screen", "chosen"})


@dataclass(frozen=True)
class Labels:
    """Every value a figure's label may take, for one version of the content."""

    langs: frozenset[str]
    ways: frozenset[str]
    questions: frozenset[str]
    options: frozenset[str]
    services: frozenset[str]
    audiences: frozenset[str]

    @classmethod
    def of(cls, content: Content) -> Labels:
        """The closed lists of this content (with ``other`` for anything outside them)."""
        flows = content.flows.values()
        ways = {DIRECT, OTHER}
        questions: set[str] = set()
        options: set[str] = set()
        audiences: set[str] = set()
        for flow in flows:
            ways.update(flow.deep_links)
            ways.update(flow.campaigns)
            for name, state in flow.states.items():
                if state.options or state.end:
                    questions.add(name)
                options.update(o.id for o in state.options if o.count)
                if state.handoff is not None:
                    audiences.add(name)
        return cls(
            langs=frozenset(content.texts),
            ways=frozenset(ways),
            questions=frozenset(questions),
            options=frozenset(options),
            services=frozenset(content.services),
            audiences=frozenset(audiences),
        )

    def sets(self) -> Mapping[str, Mapping[str, frozenset[str]]]:
        """For each counter, for each label: the values it may take (``other`` included)."""

        def closed(values: Iterable[str]) -> frozenset[str]:
            return frozenset({*values, OTHER})

        channel = closed(CHANNELS)
        return {
            "baken_conversations_started_total": {
                "channel": channel,
                "lang": closed(self.langs),
                "way": closed(self.ways),
            },
            "baken_funnel_total": {
                "channel": channel,
                "question": closed(self.questions),
                "step": closed(STEPS),
            },
            "baken_handoff_services_total": {
                "channel": channel,
                "service": closed(self.services),
                "audience": closed(self.audiences),
            },
            "baken_crisis_screens_total": {
                "channel": channel,
                "kind": closed(CRISIS_KINDS),
                "outcome": closed(CRISIS_OUTCOMES),
            },
            "baken_leaving_total": {"channel": channel, "how": closed(LEAVING)},
            "baken_answers_total": {
                "channel": channel,
                "question": closed(self.questions),
                "option": closed(self.options),
            },
            "baken_links_opened_total": {"service": closed(self.services)},
        }


def _in(value: str, allowed: Iterable[str]) -> str:
    return value if value in allowed else OTHER


class Figures:
    """Turns one step's outputs into the published counters (see the module docstring)."""

    def __init__(self) -> None:
        self._labels: tuple[str, Labels] | None = None

    def labels(self, content: Content) -> Labels:
        """The label lists of ``content`` (made once per content version)."""
        cached = self._labels
        if cached is None or cached[0] != content.version:
            cached = self._labels = (content.version, Labels.of(content))
        return cached[1]

    def of_step(
        self,
        content: Content,
        outputs: Iterable[Output],
        *,
        channel: str,
        lang: str,
        quick_exit: bool = False,
        new: bool = False,
    ) -> list[tuple[str, dict[str, str]]]:
        """The counters one step increases, as (name, labels), every value checked.

        ``new``: there was no conversation before the step (a stop then leaves no question).
        """
        known = self.labels(content)
        where = _in(channel, CHANNELS)
        lang = _in(lang, known.langs)
        found: list[tuple[str, dict[str, str]]] = []

        def add(name: str, **labels: str) -> None:
            found.append((name, {"channel": where, **labels}))

        for output in outputs:
            if isinstance(output, Handoff):
                audience = _in(output.at, known.audiences)
                for service in output.services:
                    add(
                        "baken_handoff_services_total",
                        service=_in(service, known.services),
                        audience=audience,
                    )
            if not isinstance(output, Count):
                continue
            metric, label, detail = output.metric, output.label, output.detail
            if metric in ("entry", "campaign"):
                add("baken_conversations_started_total", lang=lang, way=_in(label, known.ways))
            elif metric == "left" and new:
                continue
            elif metric in STEPS:
                add("baken_funnel_total", question=_in(label, known.questions), step=metric)
            elif metric == "crisis_screen":
                kind, outcome = _in(label, CRISIS_KINDS), _in(detail, CRISIS_OUTCOMES)
                add("baken_crisis_screens_total", kind=kind, outcome=outcome)
            elif metric == "erase":
                add("baken_leaving_total", how="quick_exit" if quick_exit else "erase")
            elif metric == "chosen":
                question, option = _in(label, known.questions), _in(detail, known.options)
                add("baken_answers_total", question=question, option=option)
        return found
