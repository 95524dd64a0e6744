"""The crisis detector on kinds of phrasing of issue 21, pinned on the shipped content:
swear words inside a phrase, things as objects of "kill" and "hang", someone else's
crisis in a story, and the fresh examples measured by class. (The sentences here are not in
any example file: they name the mechanisms.)"""

from __future__ import annotations

import dataclasses

import pytest

from flows import Count, Engine
from flows.content import Content
from flows.understanding.crisis import detector_for, is_post, training_set
from flows.understanding.crisis_check import caught, evaluate_fresh, fresh
from flows.understanding.words import EOS, words
from tests.flows.test_engine import Conversation, texts


def test_ignored_words_are_read_as_not_there_after_spelling() -> None:
    """Swear words and intensifiers are dropped, also when spelling wrote them out."""
    ignore = frozenset({"kanker", "echt"})
    assert words("ik wil kanker sterven", {}, ignore=ignore) == ["ik", "wil", "sterven", EOS]
    assert words("k wil egt sterven", {"k": ("ik",), "egt": ("echt",)}, ignore=ignore) == [
        "ik",
        "wil",
        "sterven",
        EOS,
    ]
    assert words("ik wil kanker sterven", {}) == ["ik", "wil", "kanker", "sterven", EOS]


def test_a_concept_word_is_never_ignored(engine: Engine) -> None:
    """An intensifier that is also a concept's word stays a word: the detector's list of
    ignored words holds no word of any concept."""
    detector = engine.readers.crisis
    assert detector.skip, "the shipped content lists intensifiers"
    assert not {w for w in detector.skip if detector.lexicon.exact.get(w)}


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("ik wil echt letterlijk kanker dood", "suicide"),  # three words between "wil dood"
        ("i want to fucking literally die", "suicide"),
        ("kurwa ja serio naprawdę chcę umrzeć", "suicide"),
        ("з мене досить блін реально хочу померти", "suicide"),
        ("والله العظيم رح يقتلوني", "danger"),
    ],
)
def test_swearing_inside_a_phrase_still_gets_the_number(
    engine: Engine, sentence: str, kind: str
) -> None:
    assert caught(kind, engine.crisis(sentence)), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "how do i hang a poster in my room",  # a thing as the object
        "we want to end poverty in our city",
        "my knees are killing me",  # a body part as the subject
        "ce traficul asta ma omoara",  # a nuisance
        "mag ik pillen tegen koorts nemen",  # pills against an ache
        "a boy in the series killed himself and i cried",  # someone else, in a story
    ],
)
def test_figures_how_to_and_someone_elses_story_are_no_crisis(
    engine: Engine, sentence: str
) -> None:
    assert engine.crisis(sentence).outcome == "no", sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "therapy does not help at all, i keep having suicidal thoughts",
        "therapie helpt niks, ik wil zelfmoord plegen",
        "terapia nic nie daje, chcę się zabić",
    ],
)
def test_therapy_that_does_not_help_never_cancels_a_crisis(engine: Engine, sentence: str) -> None:
    """Therapy, a therapist, treatment: not a sign that it is over (it often is not)."""
    assert caught("suicide", engine.crisis(sentence)), sentence


def test_fresh_examples_are_measured_per_language_and_class(
    content: Content, engine: Engine
) -> None:
    """Every language has fresh examples, read by class; the report counts each class, and
    none of them is a training example (a fresh sentence that is also in `train` measures
    nothing)."""
    assert set(content.crisis_fresh) >= {"nl", "en", "pl", "ro", "bg", "uk", "ar"}
    examples = list(fresh(content))
    assert {e.group for e in examples if e.kind != "none"} >= {"rough", "indirect", "long"}
    assert {e.group for e in examples if e.kind == "none"} >= {
        "figurative",
        "howto",
        "emotional",
        "exploitation",
    }
    trained = {text for text, _ in training_set(content)}
    assert not trained & {e.text for e in examples}
    report = evaluate_fresh(engine.readers.crisis, examples)
    counted = sum(t for _, t in report.crisis.values()) + sum(t for *_, t in report.none.values())
    assert counted == len(examples)
    assert len(report.missed) + len(report.alarms) <= len(examples)


def test_words_mark_which_sentence_ends_are_full_stops() -> None:
    """A comma ends a clause (EOS) but not a sentence; a full stop, "?" or a new line does."""
    stops: list[bool] = []
    assert words("ik ga, nu. echt?\nja", {}, stops=stops).count(EOS) == 4
    assert stops == [False, True, True, True]


@pytest.mark.parametrize(
    ("sentence", "post"),
    [
        (
            "ik kan niet meer",
            "mijn rijlessen beginnen volgende week weer. de instructeur schreeuwt veel. "
            "ik kan niet meer. wat moet ik doen?",
        ),
        (
            "nu mai pot",
            "am examen de condus saptamana viitoare. instructorul tipa mult. nu mai pot. "
            "ce sa fac?",
        ),
        (  # a plea for help ends a worker's story: advice, not a danger now
            "help please",
            "the agency kept my passport when we came. we work 12 hours and they take the "
            "rent from my salary. i do not know who i can ask for help, please",
        ),
    ],
)
def test_a_mood_alone_is_a_check_in_a_short_message_but_not_in_a_post(
    engine: Engine, sentence: str, post: str
) -> None:
    """ "I can't anymore" on its own can be a cry and is asked about; in a post of three
    sentences or more about a driving test it is read as a mood."""
    assert engine.crisis(sentence).outcome == "possible", sentence
    assert engine.crisis(post).outcome == "no", post


@pytest.mark.parametrize(
    ("post", "kind"),
    [
        (
            "my exams went badly. my parents are always shouting. i cant anymore. "
            "tonight i will take all my pills",
            "suicide",
        ),
        (
            "we fought about money again. the kids are crying. he locked the door and "
            "says he will kill me",
            "danger",
        ),
    ],
)
def test_a_crisis_sentence_in_a_post_is_still_caught(engine: Engine, post: str, kind: str) -> None:
    assert caught(kind, engine.crisis(post)), post


def test_a_pattern_does_not_reach_over_a_full_stop(engine: Engine) -> None:
    """ "i feel numb. i want things to be normal" is no "want out of this life": the concepts
    of one pattern must stand in one sentence (a comma does not end one)."""
    post = (
        "i feel like im watching my life from outside. i just want things to be normal "
        "again. my sister says it takes time. she is probably right"
    )
    assert engine.crisis(post).outcome == "no"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("hoi hey dus . i cant anymore, whats the point of living ! ok so well", "suicide"),
        ("hoi . hoi . ik heb alles geregeld, mijn brief ligt klaar . hoi", "suicide"),
        (
            "hoi . ik word vastgehouden in een huis en ik heb hier pillen gevonden, ik neem ze "
            "allemaal zodat het klaar is ! hoi",
            "suicide",
        ),
    ],
)
def test_a_cry_between_greetings_is_no_post(engine: Engine, message: str, kind: str) -> None:
    """Greetings and words of talk around a cry do not make it a post of three sentences
    nor dilute it (sentences of only these are read as not there), and in a post a
    signal's own sentence runs from full stop to full stop, commas and all."""
    assert caught(kind, engine.crisis(message)), message


def test_only_sentences_of_three_words_besides_greetings_make_a_post() -> None:
    tokens, flags = [], []
    for sentence in ("hoi hey ok", "ik ben moe vandaag", "school was zwaar", "ja"):
        tokens.extend([*sentence.split(), EOS])
        flags.append(True)
    asides = frozenset({"hoi", "hey", "ok", "ja"})
    assert not is_post(tokens, flags, asides)
    assert is_post(tokens, flags)  # "hoi hey ok" counts when greetings are not known
    assert not is_post(tokens, [True, False, True, True])  # a comma ends no sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "mijn vriendje zegt dat ik zijn lening terugbetaal door in het weekend met zijn vrienden"
        " mee te gaan",
        "hij is door de politie opgepakt en nu moet ik zijn schuld betalen",
        "zij is door haar vriend in de prostitutie gebracht",
        "hij wil dat ik zn schuld afbetaal door met zijn vrienden mee te gaan",  # "wil"
    ],
)
def test_dutch_door_is_no_english_door(engine: Engine, sentence: str) -> None:
    """Dutch "door" is "by" or "through", and "zijn" is "his" as well as "are": a pattern
    of English words (`lang: en`) is left out of a message with Dutch small words and no
    English ones, so a story about a debt gets no danger check."""
    assert engine.crisis(sentence).outcome == "no", sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "my ex is at the door again",
        "he is banging on my door",
        "someone is at our door now",
        # chat English with no small word of either language: every pattern reads it
        "omg hes coming thru door help",
        "stepdad coming thru door",
        "man is banging door",
        "hes standing by da door",
    ],
)
def test_an_english_door_still_gets_the_check(engine: Engine, sentence: str) -> None:
    assert caught("danger", engine.crisis(sentence)), sentence


def test_an_english_only_pattern_is_left_out_only_for_another_language(
    content: Content,
) -> None:
    """The English door pattern is marked `lang: en`; `looks` lists small words of English
    and of Dutch, each read as itself."""
    patterns = [p for p in content.crisis_concepts.patterns if "door_en" in p.all]
    assert patterns
    assert all(p.lang == "en" for p in patterns)
    assert {"the", "my"} <= set(content.crisis_concepts.looks["en"])
    assert {"ik", "een"} <= set(content.crisis_concepts.looks["nl"])


def test_a_dutch_debt_story_at_the_question_gets_no_danger_check(engine: Engine) -> None:
    """Typed at "Wat gebeurt er?", a story with Dutch "door" in it is read by the situation
    reader; no crisis check comes in between."""
    chat = Conversation(engine)
    chat.start()
    chat.press("Ja, het is veilig")
    chat.press("Over mij")
    chat.press("Nee")
    out = chat.press("18 tot en met 23")
    assert any("Wat gebeurt er?" in t for t in texts(out))
    out = chat.type(
        "mijn vriendje zegt dat ik zijn lening terugbetaal door in het weekend met zijn"
        " vrienden mee te gaan"
    )
    assert not [o for o in out if isinstance(o, Count) and o.metric.startswith("crisis")]
    assert not any("112" in t for t in texts(out))


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("honestly why even bother waking up, theres no point", "suicide"),  # no point waking up
        ("немає сенсу прокидатися взагалі", "suicide"),
        ("gdybym się rano nie obudziła, nikt by tego nie zauważył", "suicide"),
        ("dziś w nocy kończę", "suicide"),  # tonight, and a verb that says "I end"
        ("jemand läuft hinter mir, i'm scared, he is right behind me", "danger"),
        ("un barbat e in spatele meu de zece minute si mi-e frica", "danger"),
        ("am dat chitara si hainele surorii mele, nu le mai folosesc unde plec", "suicide"),
    ],
)
def test_indirect_kinds_get_the_number(engine: Engine, sentence: str, kind: str) -> None:
    """Indirect phrasings by kind: waking up has no point, nobody would notice, tonight I
    finish, someone behind me and I am afraid, giving treasured things away."""
    assert caught(kind, engine.crisis(sentence)), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "dałam bratu mój stary laptop, bo kupiłam nowy",  # handing on what was replaced
        "дадох стария си лаптоп на сестра ми",
        "geen zin om wakker te blijven voor die wedstrijd vannacht",  # staying up for a match
        "what's the point of waking up early on a sunday",  # an early alarm
        "довечера приключвам с проекта",  # finishing a project tonight
        "i put that behind me, now im just scared of the exams",
    ],
)
def test_ordinary_kinds_near_the_new_patterns_are_no_crisis(engine: Engine, sentence: str) -> None:
    assert engine.crisis(sentence).outcome == "no", sentence


def test_a_looks_word_that_does_not_read_as_itself_is_refused(content: Content) -> None:
    """A small word in `looks` that spelling writes out ("wont": "will not") would silently
    stop counting as itself: the detector's problems say so."""
    concepts = content.crisis_concepts
    looks = {**concepts.looks, "en": [*concepts.looks["en"], "wont"]}
    broken = dataclasses.replace(
        content,
        crisis_concepts=concepts.model_copy(update={"looks": looks}),
        compiled={},
    )
    said = [p[2] for p in detector_for(broken, trained=False).problems]
    assert any(m.startswith("'wont' is read as") for m in said), said
    assert not [p for p in detector_for(content, trained=False).problems if p[1][0] == "looks"]


@pytest.mark.parametrize(
    "sentence",
    [
        "mijn moeder vermoordt me als ze mijn kamer ziet",  # a mess at home
        "i gave my xbox to my little brother because i got a ps5",  # replaced by a new one
    ],
)
def test_a_parent_and_a_messy_room_or_a_replaced_console_is_no_crisis(
    engine: Engine, sentence: str
) -> None:
    assert engine.crisis(sentence).outcome == "no", sentence


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("hij sloot me op in mijn kamer en zegt dat hij me gaat vermoorden", "danger"),
        ("i gave away my guitar and my cat, i wont need them anymore", "suicide"),
    ],
)
def test_a_room_or_a_gift_does_not_hide_a_real_crisis(
    engine: Engine, sentence: str, kind: str
) -> None:
    assert caught(kind, engine.crisis(sentence)), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "am imprumutat 200 euro de la un prieten, i-am dat inapoi fara probleme, e ok?",
        "i-am dat banii inapoi fara probleme",
    ],
)
def test_no_problem_is_no_burden(engine: Engine, sentence: str) -> None:
    """Romanian "fara probleme" (without problems) is read as a word of no concept, not "I am
    a problem for everyone" (the pattern "a burden (I am)")."""
    assert engine.crisis(sentence).outcome == "no", sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "sunt o povara si o problema pentru familia mea",
        "انا عبء على الكل",
        "انا مشكلة للكل والكل احسن بدوني",
        # No problem if I die: Arabic "no problem" stays as typed (no spelling reads it away).
        "مش مشكلة لو مت، محدش هيزعل عليا",
        "مش مشكلة لو اختفيت من الدنيا",
    ],
)
def test_a_burden_is_still_heard_beside_the_no_problem_spellings(
    engine: Engine, sentence: str
) -> None:
    assert caught("suicide", engine.crisis(sentence)), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "he showed me the whole chat with the buyer",  # "show" + an ending, no "shot me"
        "volgens mij klopt er iets niet met haar nieuwe vriend",  # "I think", no "followed"
    ],
)
def test_showed_and_volgens_are_no_shot_or_followed(engine: Engine, sentence: str) -> None:
    assert engine.crisis(sentence).outcome == "no", sentence


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("he shot me in the leg", "danger"),
        ("er volgt me een man al de hele dag en ik ben bang", "danger"),
    ],
)
def test_shot_and_followed_are_still_heard(engine: Engine, sentence: str, kind: str) -> None:
    assert caught(kind, engine.crisis(sentence)), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        # "bill" folds to "bil", a Bulgarian word for "beaten"
        "I nearly had a heart attack when i saw the bill",
        "i saw the bill and nearly fainted",
        # coming home (late) is no one at the door
        "Ze komt laat thuis en zegt niks.",
        "ze komt s nachts thuis en zegt niks tegen ons",
        "she comes home late and doesnt say anything",
        # Bulgarian in Latin letters: "ima" is "there is", "shefa" is "the boss"
        "v sklada ima mnogo rabota i shefa krechi",
        "ima li nqkoi koito da mi pomogne",
    ],
)
def test_bills_coming_home_and_bulgarian_ima_are_no_alarm(engine: Engine, sentence: str) -> None:
    assert engine.crisis(sentence).outcome == "no", sentence


def test_a_parents_long_message_about_a_daughter_coming_home_late_is_no_alarm(
    engine: Engine,
) -> None:
    message = (
        "Onze dochter van 15 heeft sinds kort een tweede telefoon en gaat in het weekend naar "
        "feestjes met jongens die al in de twintig zijn. Ze komt laat thuis en zegt niks. Wij "
        "weten niet wat we moeten doen."
    )
    assert engine.crisis(message).outcome == "no"


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("ima kill myself tonight", "suicide"),
        ("ima end it all", "suicide"),
        ("imma jump off the roof", "suicide"),
        ("imma kms", "suicide"),
        ("ima kys tonight", "suicide"),
        # someone coming home whom one fears: the spelling of "comes home" was taken back
        ("hij komt zo thuis en ik ben bang", "danger"),
        ("hij komt vannacht laat thuis en is dronken, ik ben bang", "danger"),
        ("when my dad comes home im scared", "danger"),
        ("he came home late and threatened me", "danger"),
        ("he's coming home late tonight and i'm scared", "danger"),
        ("hij komt zo thuis met een mes", "danger"),
        # someone at the door at night: a late hour cancels nothing
        ("hij staat 's nachts voor mijn deur", "danger"),
        ("mijn ex staat laat voor mijn deur", "danger"),
        ("he is outside my house late at night", "danger"),
        # Bulgarian "a bil" (and beaten) is no English "a bill"
        ("toi me e bil, a bil i sestra mi", "danger"),
        ("hij staat bij ons thuis voor de deur en schreeuwt", "danger"),
        ("hij is bij ons thuis en hij dreigt me te slaan", "danger"),
        ("he is coming to my house right now and he has a knife", "danger"),
    ],
)
def test_ima_and_someone_at_home_are_still_heard(engine: Engine, sentence: str, kind: str) -> None:
    assert caught(kind, engine.crisis(sentence)), sentence
