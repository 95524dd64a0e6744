"""Pydantic models of the content files (validated once, at load).

Operators edit YAML; these models say what is allowed. ``baken content schema``
prints them as JSON Schema for editor completion. Cross-references (targets,
service ids, text keys) are checked afterwards in :mod:`flows.lint`, which knows
the whole content.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# Ids end up in callback data (≤ 64 bytes), so keep them short and plain.
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,31}$")]
TextKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")]
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https://[^\s]+$")]
Span = Annotated[
    str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
]
DeepLink = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]

# A condition on earlier answers: {question state: [option ids]}. It holds when,
# for every state named, one of the listed options was chosen there.
Condition = dict[Id, list[Id]]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Branch(Strict):
    """One possible next state; the first branch whose ``when`` holds is taken."""

    to: Id
    when: Condition | None = None


Next = Id | list[Branch]


class Option(Strict):
    """An answer button."""

    id: Id
    label: TextKey | None = Field(default=None, description="Text key; default opt.<id>.")
    next: Next | None = Field(default=None, description="Default: the next state in the file.")
    summary: TextKey | None = Field(
        default=None, description="Text key of a sentence for the copyable summary."
    )
    submit: bool = Field(
        default=False,
        description="In a multi question: this button ends the question (done, skip, …).",
    )
    set_lang: Lang | None = Field(default=None, description="Switch the conversation language.")
    count: bool = Field(
        default=False, description="Count how often this answer is chosen (aggregate only)."
    )
    restart: bool = Field(
        default=False, description="Start the conversation again, forgetting earlier answers."
    )

    @property
    def label_key(self) -> str:
        return self.label or f"opt.{self.id}"


class ServiceRef(Strict):
    """A service offered at a handoff, with an optional condition and reason."""

    id: Id
    when: Condition | None = None
    why: TextKey | None = None


class HandoffSpec(Strict):
    """Hand the person on: services ranked best first, plus a copyable summary."""

    services: list[Id | ServiceRef]
    max: int = Field(default=4, ge=1, le=10)
    summary: bool = True

    def refs(self) -> list[ServiceRef]:
        return [ServiceRef(id=s) if isinstance(s, str) else s for s in self.services]


class Line(Strict):
    """A text said only when earlier answers hold: a sentence that fits one sign only."""

    text: TextKey
    when: Condition


class State(Strict):
    """One step of a flow: messages to say, then a question, a handoff or an end."""

    say: list[TextKey | Line] = Field(
        default_factory=list,
        description="Text keys, one paragraph each (a turn is one message); "
        "{text: key, when: {question: [options]}} says a text only when that was chosen.",
    )
    options: list[Option] = Field(default_factory=list)
    multi: bool = Field(default=False, description="Several options may be chosen.")
    next: Next | None = Field(
        default=None, description="For a state without options. Default: the next in the file."
    )
    handoff: HandoffSpec | None = None
    links: list[Id] = Field(default_factory=list, description="Service ids shown as web links.")
    end: bool = Field(default=False, description="The conversation may end here.")

    def texts(self) -> list[str]:
        """Every text key this state may say, conditional or not, in order."""
        return [line if isinstance(line, str) else line.text for line in self.say]

    @model_validator(mode="after")
    def _shape(self) -> State:
        if self.multi and not any(o.submit for o in self.options):
            raise ValueError("a multi question needs at least one option with `submit: true`")
        if self.options and self.next is not None:
            raise ValueError("a state with options takes `next` on each option, not on the state")
        ids = [o.id for o in self.options]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"option ids must be unique in a state: {', '.join(dupes)}")
        return self


class Flow(Strict):
    """A dialogue: states in file order; ``start`` is where it begins."""

    start: Id
    default: bool = False
    deep_links: dict[DeepLink, dict[Id, Id]] = Field(
        default_factory=dict,
        description="/start payload -> answers it presets ({question: option}).",
    )
    campaigns: list[DeepLink] = Field(
        default_factory=list,
        description="Campaign codes accepted as /start payload; counted only in aggregate.",
    )
    crisis_services: dict[Literal["suicide", "danger"], Id] = Field(
        default_factory=dict,
        description="After a crisis screen in the conversation, the handoff shows this "
        "service first (suicide: 113, danger: 112).",
    )
    human: Id | None = Field(
        default=None,
        description="The service (from services.yaml) offered as a human chat when baken "
        "did not understand a typed message twice in a row.",
    )
    states: dict[Id, State]


class Screen(Strict):
    """A message shown outside the flow (help, privacy, crisis)."""

    say: list[TextKey]
    links: list[Id] = Field(default_factory=list)


class Screens(Strict):
    help: Screen
    privacy: Screen
    crisis_suicide: Screen
    crisis_danger: Screen
    crisis_both: Screen = Field(description="Both suicide and danger now: 113 and 112.")
    check_suicide: Screen = Field(
        description="Possible suicide or self-harm: a short yes/no check, 113 already shown."
    )
    check_danger: Screen = Field(
        description="Possible danger now: a short yes/no check, 112 already shown."
    )
    check_both: Screen = Field(description="Possibly both: a check with 113 and 112 shown.")
    crisis_again: Screen | None = Field(
        default=None,
        description="A crisis screen of a kind already shown in this conversation: shorter, "
        "not the same words again. Without it, the same screen is shown again.",
    )
    emergency: Screen = Field(description="When the session store cannot be reached.")


class Hours(Strict):
    """Opening hours in Europe/Amsterdam time."""

    always: bool = False
    mon: list[Span] = Field(default_factory=list)
    tue: list[Span] = Field(default_factory=list)
    wed: list[Span] = Field(default_factory=list)
    thu: list[Span] = Field(default_factory=list)
    fri: list[Span] = Field(default_factory=list)
    sat: list[Span] = Field(default_factory=list)
    sun: list[Span] = Field(default_factory=list)
    holidays: Literal["closed", "open"] = Field(
        default="closed", description="On Dutch public holidays: closed, or open as usual."
    )


Audience = Literal["self", "other", "professional"]


class AgeRange(Strict):
    min: int | None = Field(default=None, ge=0, le=120)
    max: int | None = Field(default=None, ge=0, le=120)


class Service(Strict):
    """A place to get help. Every fact needs a ``source`` and ``verified_on``."""

    id: Id
    name: dict[Lang, str]
    purpose: dict[Lang, str]
    url: Url | None = None
    chat_url: Url | None = None
    report_url: Url | None = None
    phone: str | None = None
    phone_alt: list[str] = Field(default_factory=list)
    phone_free: bool | None = None
    email: str | None = None
    audiences: list[Audience] = Field(default_factory=list)
    topics: list[Id] = Field(default_factory=list)
    age: AgeRange = Field(default_factory=AgeRange)
    hours: Hours | None = Field(default=None, description="Leave out when not verified.")
    hours_verified: bool = False
    chat_hours: Hours | None = Field(default=None, description="When the chat differs.")
    chat_hours_verified: bool = False
    audiences_verified: bool = True
    languages: list[Lang] = Field(
        default_factory=list,
        description="Languages a person can use with this service (ISO 639-1 codes), each "
        "stated by `languages_source`. Leave out what is not verified.",
    )
    languages_source: Url | None = None
    interpreter: bool | None = Field(
        default=None,
        description="True when the service arranges an interpreter on request, stated by "
        "`interpreter_source`. Leave out when not verified.",
    )
    interpreter_source: Url | None = None
    source: Url | None = None
    sources_extra: list[Url] = Field(default_factory=list)
    verified_on: dt.date | None = None
    notes: str | None = None

    @property
    def link(self) -> str | None:
        """The address the service's button opens: its chat, else its site, else its form."""
        return self.chat_url or self.url or self.report_url

    @model_validator(mode="after")
    def _language_facts_have_sources(self) -> Service:
        if self.languages and self.languages_source is None:
            raise ValueError("`languages` needs `languages_source`: the page that says so")
        if self.interpreter is not None and self.interpreter_source is None:
            raise ValueError("`interpreter` needs `interpreter_source`: the page that says so")
        return self


class ServicesFile(Strict):
    services: list[Service]


PhraseLists = dict[Lang, list[str]]


class CrisisFile(Strict):
    suicide: PhraseLists
    danger: PhraseLists


ConceptName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
ConceptRef = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}([&|][a-z][a-z0-9_]{0,31})*$")
]


class CrisisPattern(Strict):
    """Concepts that together mean a crisis: all of them within ``window`` words."""

    all: list[ConceptRef] = Field(
        min_length=1,
        description="Concepts that must all occur; `more&eos`: one word with both; "
        "`kill|stab`: either.",
    )
    kind: Literal["suicide", "danger", "both"] = Field(
        description="suicide -> 113, danger -> 112, both -> both numbers."
    )
    level: Literal["sure", "possible"] = Field(
        description="sure: the crisis screen at once; possible: a short check with the number."
    )
    window: int = Field(default=6, ge=1, le=30, description="Words the concepts must fit in.")
    order: bool = Field(default=False, description="The concepts must come in this order.")
    unless: list[ConceptName] = Field(
        default_factory=list,
        description="Concepts that cancel the match when they occur in it or just after it.",
    )
    after: int = Field(
        default=3, ge=0, le=20, description="Words after the match where `unless` still counts."
    )
    unless_far: list[ConceptName] = Field(
        default_factory=list,
        description="Concepts that cancel the match up to 4 words before and 10 after it, "
        "unless a `not` word comes just before them (it is over; I am safe now).",
    )
    name: str | None = Field(default=None, description="Shown by `baken content crisis`.")
    mood: bool = Field(
        default=False,
        description="A pattern of mood words only (I can't anymore, I can't take it): in a "
        "post of several sentences it counts only when another rule found something too.",
    )
    lang: str | None = Field(
        default=None,
        description="A pattern that reads one language's words (en: English 'door' is Dutch "
        "'by'): it is left out of a message with small words of another language in `looks` "
        "and none of its own.",
    )


class FirstPerson(Strict):
    """A language's first-person verb forms: a concept's verb written with one of these
    endings or prefixes says "I" by itself (Polish "koncze", Bulgarian "скачам",
    Ukrainian "покінчу", Arabic "بنهي"), so the form also counts as the concept `i`. Only
    endings that belong to "I" alone: third-person forms ("konczy", "скача") stay out."""

    lang: str = Field(description="The language the forms belong to (for the reader).")
    endings: list[str] = Field(
        default_factory=lambda: [""],
        description="Written after each verb stem; an empty string: the stem as written.",
    )
    prefixes: list[str] = Field(
        default_factory=lambda: [""], description="Written before each verb stem (Arabic)."
    )
    verbs: dict[ConceptName, list[str]] = Field(
        description="Concept -> verb stems of that concept; each prefix + stem + ending is "
        "read as the concept and `i`."
    )


class CrisisConceptsFile(Strict):
    """phrases/crisis-concepts.yaml: how the crisis detector reads words."""

    spelling: dict[str, str] = Field(
        default_factory=dict, description="A typed word -> the word(s) it stands for (k: ik)."
    )
    emoji: dict[str, str] = Field(
        default_factory=dict, description="An emoji -> the word it stands for (😂: lol)."
    )
    concepts: dict[ConceptName, list[str]] = Field(
        description="Concept -> words that mean it; a word ending in * matches every word "
        "that starts with it. The concept `eos` also matches the end of every sentence."
    )
    patterns: list[CrisisPattern]
    first_person: list[FirstPerson] = Field(
        default_factory=list,
        description="First-person verb forms per language: read as the verb's concept and `i`.",
    )
    signals: list[ConceptName] = Field(
        default_factory=list,
        description="Concepts that let the classifier decide on its own; without one of "
        "these in a message, only phrases and patterns can find a crisis in it.",
    )
    mood_signals: list[ConceptName] = Field(
        default_factory=list,
        description="Signals that are a mood (hopeless, fed up, an end, missing someone): "
        "in a post of several sentences they no longer let the classifier decide alone.",
    )
    fillers: list[str] = Field(
        default_factory=list,
        description="Words people put in anywhere (echt, really, chiar): two words read "
        "together by `spelling` are still read together with one of these between them.",
    )
    asides: list[str] = Field(
        default_factory=list,
        description="Greetings and words of talk (hoi, hey, ok, dus, well): a sentence of "
        "only these is no sentence when a message is counted as a post.",
    )
    intensifiers: list[str] = Field(
        default_factory=list,
        description="Swear words and intensifiers people put inside a phrase (fucking, kanker, "
        "letterlijk, kurwa): read as if they were not there. A word that is also a concept's "
        "word is not skipped.",
    )
    looks: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Language -> small words only that language uses (en: the, my, at; nl: ik, "
        "een, niet): a pattern with `lang` is left out of a message with another language's "
        "small words and none of its own.",
    )
    concept_langs: dict[str, list[ConceptName]] = Field(
        default_factory=dict,
        description="Language -> concepts whose words are words of that language only (nl: "
        "burden_nl, Dutch 'last', a burden): not read at all (by patterns, signals or the "
        "classifier) in a message with another language's `looks` words and none of its own.",
    )


class CrisisExamples(Strict):
    """Example messages by kind. Written the way people type."""

    suicide: list[str] = Field(default_factory=list, description="-> 113")
    danger: list[str] = Field(default_factory=list, description="-> 112")
    both: list[str] = Field(default_factory=list, description="-> 113 and 112")
    none: list[str] = Field(default_factory=list, description="Must not trigger anything.")


class CrisisExamplesFile(Strict):
    """phrases/crisis-examples/<lang>.yaml: training examples, and held-out examples that
    are only used to measure the detector (every held-out crisis example must be caught)."""

    train: CrisisExamples = Field(default_factory=CrisisExamples)
    heldout: CrisisExamples = Field(default_factory=CrisisExamples)


AGE_BANDS = ("u16", "age16_17", "age18_23", "older")
ROLES = ("self", "other", "pro")


class SituationExample(Strict):
    """One message as a person types it, and what it clearly says."""

    say: str = Field(min_length=1, description="The message, as typed.")
    means: list[Id] = Field(
        default_factory=list,
        description="Option codes the message clearly states (sig_sex, sig_boss, ...); "
        "empty: it states none.",
    )
    about: Literal["self", "other", "pro"] | None = Field(
        default=None, description="Who it is about, when the message makes it clear."
    )
    age: Literal["u16", "age16_17", "age18_23", "older"] | None = Field(
        default=None, description="The age band, when the message states an age."
    )
    must: bool = Field(
        default=False,
        description="Held out only: `baken content check` fails unless the reader ticks "
        "exactly `means` for it.",
    )


class SituationExamplesFile(Strict):
    """phrases/situation-examples/<lang>.yaml: stories to learn from (train) and to measure
    the situation reader with (heldout: never learnt from)."""

    train: list[SituationExample] = Field(default_factory=list)
    heldout: list[SituationExample] = Field(default_factory=list)


class SituationPattern(Strict):
    """Concepts that together state an option: all of them within ``window`` words."""

    means: str = Field(
        pattern=r"^(sig_[a-z0-9_]+|about_(self|other|pro))$",
        description="An option code (sig_boss) or who it is about (about_self, about_other, "
        "about_pro).",
    )
    all: list[ConceptRef] = Field(min_length=1, description="Concepts; `a|b`: either.")
    window: int = Field(default=8, ge=1, le=30, description="Words the concepts must fit in.")
    order: bool = Field(default=False, description="The concepts must come in this order.")
    unless: list[ConceptName] = Field(
        default_factory=list, description="Concepts that cancel the match near it."
    )
    after: int = Field(
        default=3, ge=0, le=20, description="Words after the match where `unless` still counts."
    )
    before: int = Field(
        default=2,
        ge=0,
        le=20,
        description="Words before the match where `unless` still counts (he bought me things, "
        "... now I owe him); it widens every `unless` concept of the pattern.",
    )
    blocks: bool = Field(
        default=False,
        description="The match keeps its option from being ticked (by a pattern or the "
        "classifier): a professional asking for training states no sign about a young person.",
    )
    name: str | None = Field(default=None, description="Shown by `baken content understand`.")


class SituationConceptsFile(Strict):
    """phrases/situation-concepts.yaml: how the situation reader reads words."""

    concepts: dict[ConceptName, dict[Lang, list[str]]] = Field(
        description="Concept -> language -> words; a word ending in * matches every word "
        "that starts with it."
    )
    patterns: list[SituationPattern] = Field(default_factory=list)
    ages: dict[Lang, list[str]] = Field(
        default_factory=dict,
        description="Per language, words that make a number next to them an age (jaar, ben, "
        "van; years, old; lat): 'ik ben 15', 'mijn zus van 14'.",
    )
    not_ages: dict[Lang, list[str]] = Field(
        default_factory=dict,
        description="Per language, words that make a number next to them no age (uur, euro, "
        "tot): 'van 10 tot 22 uur'.",
    )
    not_ages_before: dict[Lang, list[str]] = Field(
        default_factory=dict,
        description="Per language, words that make a number no age only when they come "
        "before it (sinds, since; от, acum): 'от 10 години' is how long, 'момче на 14 от "
        "отбора' is an age.",
    )
    their_ages: dict[Lang, list[str]] = Field(
        default_factory=dict,
        description="Per language, people whose age is never the age asked for (a boyfriend, "
        "a boss, the man): a number just after such a word, with only age words or up to "
        "two other words between, is not read as an age: 'mijn vriendje (hij is 21)'.",
    )
    my_ages: dict[Lang, list[str]] = Field(
        default_factory=dict,
        description="Per language, words that make a number just after them the writer's "
        "own age ('ik ben 15', 'mam 15 lat', 'عمري 15'). With two ages in one story, the "
        "writer's own counts when the story is about the writer, another when it is about "
        "someone else, and else the first one told.",
    )
    spelling: dict[str, str] = Field(
        default_factory=dict,
        description="One or two typed words read as other words by this reader only, after "
        "the crisis detector's spelling list: 'have to: must'.",
    )


class CrisisPositives(Strict):
    """Crisis examples of one class of phrasing, by kind."""

    suicide: list[str] = Field(default_factory=list, description="-> 113")
    danger: list[str] = Field(default_factory=list, description="-> 112")
    both: list[str] = Field(default_factory=list, description="-> 113 and 112")


class CrisisFreshFile(Strict):
    """phrases/crisis-examples/fresh/<lang>.yaml: examples written after the detector, by
    class of phrasing (rough, indirect, long ...; figurative, howto, emotional ...). Only
    measured and reported per class, never learnt from."""

    crisis: dict[str, CrisisPositives] = Field(default_factory=dict)
    none: dict[str, list[str]] = Field(
        default_factory=dict, description="Per class: messages that must not trigger anything."
    )


class IntentsFile(Strict):
    help: PhraseLists
    stop: PhraseLists
    stop_maybe: PhraseLists = Field(
        default_factory=dict,
        description="Whole messages that may mean 'erase' but also something else "
        "(stoppen, kappen): baken asks once before it erases.",
    )
    privacy: PhraseLists
    language: PhraseLists
    restart: PhraseLists = Field(
        default_factory=dict,
        description="Whole messages that ask to start again ('opnieuw beginnen'): a clean "
        "start, earlier answers forgotten.",
    )


SynonymsFile = dict[Lang, dict[Id, list[str]]]
# Place names per option id (the same in every language): phrases/places.yaml.
PlacesFile = dict[Id, list[str]]
TextsFile = dict[str, object]


class TextsMeta(Strict):
    """The ``meta:`` section at the top of a texts file: who has read the translation.

    ``draft``: written or translated, not yet read by a native speaker who knows the
    field. ``reviewed``: read and corrected; say when and by whom, as a role (never a
    name), e.g. "native speaker, youth worker".
    """

    review: Literal["source", "draft", "reviewed"] = "draft"
    direction: Literal["ltr", "rtl"] = Field(
        default="ltr", description="How the language is written: rtl for Arabic (the web page)."
    )
    reviewed_on: dt.date | None = None
    reviewed_by: str | None = Field(default=None, max_length=120)

    @model_validator(mode="after")
    def _who_and_when(self) -> TextsMeta:
        if self.review == "reviewed" and (self.reviewed_on is None or not self.reviewed_by):
            raise ValueError(
                "a reviewed translation needs `reviewed_on` and `reviewed_by` (a role)"
            )
        return self
