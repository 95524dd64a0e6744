"""The situation reader and the conversation: a story typed in one's own words.

Each test states what a person would notice. The stories here are tests, not examples:
they are never copied into ``content/phrases/situation-examples/``.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import Content, Count, Engine, Handoff, Message
from flows.understanding.rules import Rule
from flows.understanding.situation import RULE_FLOOR, TICK_AT, age_of, band, decide, reader_for
from flows.understanding.situation_check import lint_situation
from tests.flows.test_engine import Conversation, buttons, texts


def ticked(chat: Conversation) -> set[str]:
    """The options ticked at the current question."""
    assert chat.session is not None
    return set(chat.session.answer(chat.session.state))


def to(chat: Conversation, *labels: str) -> None:
    for label in labels:
        chat.press(label)


SELF_TO_DO = ("Ja, het is veilig", "Over mij", "Nee", "Jonger dan 16")


def test_a_loverboy_story_at_what_happens_is_ticked_and_said(engine: Engine) -> None:
    """ "Wat gebeurt er?" answered in own words: sex is ticked there and said plainly; the
    gifts-and-return sign waits for the next question, where it comes ticked."""
    chat = Conversation(engine)
    chat.start()
    to(chat, *SELF_TO_DO)
    out = chat.type("mijn vriendje wil dat ik met zijn vrienden naar bed ga")
    said = " ".join(texts(out))
    assert "Ik heb aangevinkt:" in said
    assert "Ik moet seks hebben of foto's sturen" in said
    assert "Kies een knop" not in said
    assert ticked(chat) == {"sig_sex"}
    chat.press("✅ Ik moet seks hebben of foto's sturen")  # unticking works as for any press
    assert ticked(chat) == set()


def test_signs_of_a_later_question_come_ticked_there(engine: Engine) -> None:
    """A story told at the first sign question that states a sign of the second: that
    question comes with it ticked, and says so."""
    chat = Conversation(engine)
    chat.start()
    to(chat, *SELF_TO_DO)
    chat.type("hij checkt de hele tijd mijn telefoon en leest al mijn berichten")
    out = chat.press("Klaar")
    assert "sig_phone" in ticked(chat)
    assert "Je vertelde dit al. Daarom heb ik dit aangevinkt:" in " ".join(texts(out))


def test_a_polish_worker_story_is_understood(engine: Engine) -> None:
    """A kept passport and no pay, typed in Polish at the same question, is ticked."""
    chat = Conversation(engine, lang="pl")
    chat.start()
    to(chat, "Tak, jest bezpiecznie", "O mnie", "Nie", "Od 18 do 23 lat")
    out = chat.type("szef zabrał mi paszport i nie płaci")
    assert "sig_boss" in ticked(chat)
    assert "sig_work" in ticked(chat)  # "i nie płaci": no pay
    assert "Zaznaczono:" in " ".join(texts(out))


STORY = (
    "hoi ik moet pakketjes rondbrengen voor een jongen en nu zegt hij dat ik hem 500 euro "
    "schuldig ben"
)


def test_a_story_as_first_message_is_thanked_and_the_safety_question_still_comes(
    engine: Engine,
) -> None:
    """No "did you mean" from one word; thanks, then the safety question (never skipped);
    the signs come ticked when their questions come."""
    chat = Conversation(engine)
    out = chat.type(STORY)
    said = texts(out)
    assert "Bedoel je een van deze?" not in said
    assert said[0].startswith("Dank je dat je dit vertelt")
    assert "Kun je nu veilig chatten? Kijkt er niemand mee?" in said
    assert "Ja, het is veilig" in buttons(out)
    to(chat, "Ja, het is veilig")
    out = chat.press("Over mij")
    out = chat.press("Nee")
    out = chat.press("16 of 17")
    assert "sig_drugs" in ticked(chat)


def test_a_story_at_the_age_question_is_no_age(engine: Engine) -> None:
    """The same story at "Hoe oud ben je?": thanked, kept, and the age asked again."""
    chat = Conversation(engine)
    chat.start()
    to(chat, "Ja, het is veilig", "Over mij", "Nee")
    out = chat.type(STORY)
    said = texts(out)
    assert "Bedoel je een van deze?" not in said
    assert "Hoe oud ben je?" in said
    assert chat.session is not None
    assert chat.session.state == "self_age"
    out = chat.press("16 of 17")
    assert "sig_drugs" in ticked(chat)


def test_a_story_that_names_who_and_age_is_confirmed_not_asked_blindly(engine: Engine) -> None:
    """ "mijn dochter van 14 ..." at the opening: the role and age questions say what the
    story pointed to; the person still presses the button."""
    chat = Conversation(engine)
    chat.start()
    out = chat.type("mijn dochter van 14 moet drugs rondbrengen voor een oudere jongen")
    assert "Kun je nu veilig chatten? Kijkt er niemand mee?" in texts(out)
    out = chat.press("Ja, het is veilig")
    assert "Ik denk dat dit past: Over iemand die ik ken." in " ".join(texts(out))
    chat.press("Over iemand die ik ken")
    out = chat.press("Nee")
    assert "Jonger dan 16" in " ".join(texts(out))


def test_a_first_person_story_as_first_message_proposes_about_me(engine: Engine) -> None:
    """ "mijn vriendje wil dat ik ..." as the first message: the role question proposes
    "Over mij" (the about-me pattern counts though the classifier gives it little), and
    the person still presses the button."""
    chat = Conversation(engine)
    chat.type("mijn vriendje wil dat ik met zijn vrienden naar bed ga")
    out = chat.press("Ja, het is veilig")
    assert "Ik denk dat dit past: Over mij." in " ".join(texts(out))
    assert chat.session is not None
    assert not chat.session.answer(chat.session.state)  # proposed, not chosen


@pytest.mark.parametrize(
    ("probs", "about"),
    [
        ({"about_self": 0.27}, "self"),  # weak, but nothing else names who
        ({"about_self": 0.27, "about_pro": 0.6}, None),  # the classifier leans to another
        ({"about_self": 0.05}, None),  # all but ruled out
    ],
)
def test_an_about_me_pattern_counts_unless_ruled_out(
    probs: dict[str, float], about: str | None
) -> None:
    labels = ("sig_sex", "about_self", "about_other", "about_pro")
    reading = decide({"about_self": "pattern about_self: my+partner"}, probs, None, labels)
    assert reading.about == about


def test_other_thresholds_change_what_is_ticked_and_the_shipped_ones_are_the_default() -> None:
    """tests/sealed/crossval.py measures other thresholds through decide's keywords."""
    labels = ("sig_sex", "sig_debt", "about_self", "about_other", "about_pro")
    fired = {"sig_debt": "pattern sig_debt: owe+money"}
    probs = {"sig_sex": 0.85, "sig_debt": 0.4}
    shipped = decide(fired, probs, None, labels)
    assert shipped == decide(fired, probs, None, labels, tick_at=TICK_AT, rule_floor=RULE_FLOOR)
    assert shipped.signals == ("sig_debt",)
    assert shipped.maybe == ("sig_sex",)
    lower = decide(fired, probs, None, labels, tick_at=0.8, rule_floor=0.5)
    assert lower.signals == ("sig_sex",)
    assert lower.maybe == ("sig_debt",)


def test_understanding_nothing_twice_offers_a_person(engine: Engine) -> None:
    """Twice in a row not understood: honest words and Fier's chat, with the buttons."""
    chat = Conversation(engine)
    chat.start()
    to(chat, "Ja, het is veilig", "Over mij", "Nee", "16 of 17")
    out = chat.type("blub")
    assert "Dat begrijp ik niet goed. Kies een knop." in texts(out)
    out = chat.type("qwerty zxcv")
    said = " ".join(texts(out))
    assert "Ik begrijp je niet goed. Dat ligt aan mij, niet aan jou." in said
    assert "Fier" in said
    assert Count("typed", "not_understood_twice") in out
    assert "Klaar" in buttons(out)


def test_one_common_word_inside_a_sentence_makes_no_did_you_mean(engine: Engine) -> None:
    """ "nu" or "nee" inside a sentence names no button."""
    chat = Conversation(engine)
    out = chat.start()
    out = chat.type("ik weet nu echt niet meer wat ik moet doen met mijn leven op school")
    assert "Bedoel je een van deze?" not in texts(out)


def test_nothing_typed_reaches_the_session(engine: Engine) -> None:
    """A story leaves codes in the session, never its words."""
    chat = Conversation(engine)
    chat.start()
    to(chat, *SELF_TO_DO)
    chat.type("Zoë Canarybird uit de Kerkstraat moet voor haar baas 14 uur werken zonder loon")
    assert chat.session is not None
    stored = chat.session.to_json()
    for word in ("Canarybird", "Kerkstraat", "Zoë", "loon", "baas"):
        assert word not in stored
    assert all(isinstance(o, Message) or "Canarybird" not in str(o) for o in chat.outputs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ik ben 15", "u16"),
        ("mijn zus van 17 wordt gedwongen", "age16_17"),
        ("ik werk van 10 tot 22 uur", None),
        ("hij vraagt 15 euro per dag", None),
        ("mam 34 lata", "older"),
        ("ik werk al 10 jaar voor hem", None),
        ("hij is 30 en ik ben 15", "u16"),
        ("عمري ١٦ سنة", "age16_17"),
        ("I'm 19 years old", "age18_23"),
        ("15j", "u16"),
        # a word of time two before does not count over the writer's "I am": "now I am 17"
        ("acum am 17 ani", "age16_17"),
        ("am venit acum 10 ani", None),
        ("mam 20 na godzine", None),
        ("he keeps 15% of my pay and im 15", "u16"),
        ("what is the minimum wage for an 18 year old", None),
        # a word of `not_ages_before` counts only before the number: "от 10 години" is how
        # long, "a boy of 14 from the team" an age
        ("момче на 14 от отбора носи пачки пари", "u16"),
        ("работя тук от 10 години", None),
        ("kazhe shcho meni 10% vid hroshei", None),
        # a sum of money is no age, whatever the currency sign and wherever it stands ("my
        # mate" and "zus" are age words); only that place: the writer's 15 still counts
        ("i owe my mate £20 for the tickets", None),
        ("mijn zus krijgt 20€", None),
        ("mijn zus krijgt € 20", None),
        ("my sister gets 15₴ a week", None),
        ("im 15 $20 an hour", "u16"),
        ("my mate is 20 and i owe him £20", "age18_23"),
        # "na" (Polish: for) is no age, also where Bulgarian means "I am 15" ("na 15 sam")
        ("wyjechal na 10 lat", None),
    ],
)
def test_ages_are_read_with_their_words(content: Content, text: str, expected: str | None) -> None:
    """A number is an age only beside an age word of the language, never beside hours or money."""
    reader = build_reader(content)
    ages = age_of(
        text,
        reader.age_words,
        reader.not_ages,
        my_ages=reader.my_ages,
        not_ages_before=reader.not_ages_before,
    )
    assert ages == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mn vriendje (hij is 21) wil dat ik meega, ik ben 16", "age16_17"),
        ("mijn vriend van 20 zegt dat ik moet", None),
        ("my sister is 19 and her boyfriend is 30", "age18_23"),
        ("mam 17 lat, moj chlopak (24) kupuje mi rzeczy", "age16_17"),
        ("на 16 съм, гаджето ми е на 23", "age16_17"),
        ("my bf is 22", None),
        # right after the writer's own "I am", a number is never the boyfriend's
        ("my bf is 22 and im 15", "u16"),
    ],
)
def test_an_age_belongs_to_whom_the_story_is_about(
    content: Content, text: str, expected: str | None
) -> None:
    """A boyfriend's or boss's age is never read as the age asked for (`their_ages`)."""
    reader = build_reader(content)
    ages = age_of(
        text,
        reader.age_words,
        reader.not_ages,
        reader.their_ages,
        reader.my_ages,
        not_ages_before=reader.not_ages_before,
    )
    assert ages == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # about the writer: the writer's own age, wherever it is told
        ("hij is 30 en ik ben 15, hij wil dat ik met zijn vrienden naar bed ga", "u16"),
        ("he is 30 and im 15 and he wants me to sleep with his mates for money", "u16"),
        ("mam 15 lat, typ z insta co ma 24 chce moje nagie zdjecia", "u16"),
        # about someone else: their age, not the writer's nor a group's
        ("ik ben 17 en mijn zusje is 14, ze moet drugs verkopen voor een man", "u16"),
        ("my bestie goes partying with guys who are like 25, shes 16", "age16_17"),
        ("mn zusje van 14 gaat naar feestjes met gasten van 25", "u16"),
        # a mum's age is no one's own; a verb before a number is no "I am"
        ("ik 15j, mijn mam is 40 en ze slaat me en houdt mijn paspoort", "u16"),
        ("am stat 10 ani in italia si am 17 ani, seful imi ia actele", "age16_17"),
    ],
)
def test_two_ages_in_one_story_give_the_one_asked(
    content: Content, text: str, expected: str
) -> None:
    """With two ages in a story, the age asked is that of whom the story is about: the
    writer's own ("ik ben 15") when it is about the writer, another when it is about
    someone else; the age of a group of older men ("gasten van 25") never counts."""
    assert build_reader(content).read(text).age == expected


def build_reader(content: Content):  # type: ignore[no-untyped-def]
    from flows.understanding.situation import reader_for

    return reader_for(content, trained=False)


def test_bands() -> None:
    assert [band(a) for a in (8, 15, 16, 17, 18, 23, 24, 80)] == [
        "u16",
        "u16",
        "age16_17",
        "age16_17",
        "age18_23",
        "age18_23",
        "older",
        "older",
    ]


def test_a_blocking_pattern_keeps_its_option_unticked_and_only_there(engine: Engine) -> None:
    """A professional at a care home asking for training states no sign about a young person
    (the classifier alone would tick "lives in a care home"); told of a resident, it does."""
    reader = engine.readers.situation
    asking = "ik werk op een woongroep en zoek een training over loverboys voor ons team"
    assert "sig_care" not in reader.read(asking).options
    assert "sig_care" not in reader.read(asking).maybe
    assert reader.evidence(asking)[0].get("no:sig_care")
    telling = reader.read(
        "ik werk op een woongroep en een meisje dat bij ons woont"
        " moet van haar vriend met mannen slapen"
    )
    assert "sig_care" in telling.signals
    both = (
        "i work at a care home and want training for staff, because a 15 year old who"
        " lives here is being made to sleep with men by her boyfriend"
    )
    assert not reader.evidence(both)[0].get("no:sig_care")


def test_every_training_negative_ticks_nothing(engine: Engine, content: Content) -> None:
    """Everyday messages the reader learnt from as "nothing" tick nothing."""
    reader = engine.readers.situation
    wrong = [
        (lang, e.say, reader.read(e.say).signals)
        for lang, examples in content.situation_examples.items()
        for e in examples.train
        if not e.means and reader.read(e.say).signals
    ]
    assert wrong == []


def test_looking_only_at_rules_anchored_in_the_message_changes_no_reading(
    engine: Engine, content: Content
) -> None:
    """The speed-up (a rule is tried only when its rarest concept is in the message) finds
    what trying every rule finds, reasons included."""
    reader = engine.readers.situation
    assert reader.anchors
    every_rule = dataclasses.replace(reader, anchors={})
    texts = [
        e.say
        for examples in content.situation_examples.values()
        for e in (*examples.train, *examples.heldout)
    ]
    differ = [t for t in texts if reader.read(t) != every_rule.read(t)]
    assert differ == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_is_read_without_error_and_leaves_only_codes(engine: Engine, text: str) -> None:
    """Whatever is typed, the reading holds option codes of the flow and nothing else."""
    reading = engine.readers.situation.read(text)
    codes = {
        o.id for f in engine.content.flows.values() for s in f.states.values() for o in s.options
    }
    assert set(reading.options) <= codes
    assert set(reading.maybe) <= codes
    assert all(text not in reason or not text.strip() for reason in reading.reasons.values())


def test_a_bare_number_at_the_age_question_is_an_age(engine: Engine) -> None:
    """ "34" is no button number there (there are seven buttons), but it is an age."""
    chat = Conversation(engine)
    chat.start()
    to(chat, "Ja, het is veilig", "Over mij", "Nee")
    out = chat.type("34")
    assert "Ik heb gekozen: Ouder dan 23." in texts(out)
    assert chat.session is not None
    assert chat.session.answer("self_age") == ("older",)


def test_a_word_that_may_mean_something_else_asks_before_erasing(engine: Engine) -> None:
    """ "kappen" may be about a boyfriend or school: asked once; "Nee, ga verder" keeps
    everything; "stop" still erases at once."""
    chat = Conversation(engine)
    chat.start()
    to(chat, "Ja, het is veilig", "Over mij")
    out = chat.type("kappen")
    assert texts(out) == ["Bedoel je dat ik alles moet wissen? Dan is dit gesprek weg."]
    assert list(buttons(out)) == ["Ja, wis alles", "Nee, ga verder"]
    out = chat.press("Nee, ga verder")
    assert chat.session is not None
    assert chat.session.answer("role") == ("self",)
    assert "Is er nu gevaar? Voor jou of voor iemand anders?" in texts(out)
    chat.type("ik wil stoppen")
    chat.press("Ja, wis alles")
    assert chat.session is None
    chat.start()
    chat.type("stop")
    assert chat.session is None


def test_an_age_in_a_story_is_confirmed_not_chosen(engine: Engine) -> None:
    """ "mijn vriend van 25 wil dat ik drugs verkoop" at "Hoe oud ben je?": 25 may be the
    friend's age; baken says what it thinks and the person presses. "ik ben 15" is chosen."""
    chat = Conversation(engine)
    chat.start()
    to(chat, "Ja, het is veilig", "Over mij", "Nee")
    out = chat.type("mijn vriend van 25 wil dat ik drugs voor hem verkoop op school")
    assert chat.session is not None
    assert chat.session.state == "self_age"
    assert "Hoe oud ben je?" in texts(out)
    chat.type("ik ben 15")
    assert chat.session.answer("self_age") == ("u16",)


def test_a_story_told_late_ticks_the_earlier_question(engine: Engine) -> None:
    """A sign of "Wat gebeurt er?" told at the next question is ticked there (so it is in
    the summary), and baken says so; nothing is promised for later."""
    chat = Conversation(engine)
    chat.start()
    to(chat, *SELF_TO_DO, "Klaar")
    out = chat.type("ik moet elke week pakketjes met drugs rondbrengen voor hem")
    assert chat.session is not None
    assert "sig_drugs" in chat.session.answer("self_do")
    assert "Dat vink ik ook aan bij een vraag van eerder:" in " ".join(texts(out))


def test_skip_drops_the_ticks_a_story_set(engine: Engine) -> None:
    """ "Sla over" at a question that came pre-ticked: nothing of it counts."""
    chat = Conversation(engine)
    chat.type(STORY)
    to(chat, "Ja, het is veilig", "Over mij", "Nee", "16 of 17")
    assert "sig_drugs" in ticked(chat)
    chat.press("Sla over")
    assert chat.session is not None
    assert chat.session.answer("self_do") == ("skip",)


@pytest.mark.parametrize(
    "text",
    ["ik hoef geen drugs te brengen hoor", "szef nie zabrał mi paszportu, wszystko jest ok"],
)
def test_a_not_before_a_sign_ticks_nothing(engine: Engine, text: str) -> None:
    assert engine.readers.situation.read(text).signals == ()


def test_a_pattern_that_needs_no_concept_is_refused_with_its_line(
    engine: Engine, content: Content
) -> None:
    """The reader tries a pattern only when a concept it needs is in the message, so a
    pattern that needs none would never count: the content check says so, with its file
    and line. (The file's schema asks for one concept at least; this is the check behind
    it, for a pattern built some other way.)"""
    concepts = content.situation_concepts
    empty = concepts.patterns[1].model_copy(update={"all": []})
    patterns = [concepts.patterns[0], empty, *concepts.patterns[2:]]
    broken = dataclasses.replace(
        content,
        situation_concepts=concepts.model_copy(update={"patterns": patterns}),
        compiled={},
    )
    reader = reader_for(broken, trained=False)
    assert len(reader.rules) < len(reader_for(content, trained=False).rules)
    found = [p for p in lint_situation(broken, reader) if "never be tried" in p.message]
    assert len(found) == 1
    assert found[0].severity == "error"
    assert found[0].file.endswith("phrases/situation-concepts.yaml")
    assert found[0].line is not None
    shipped = lint_situation(content, engine.readers.situation)
    assert not [p for p in shipped if "never be tried" in p.message]


OTHER_TO_DO = ("Ja, het is veilig", "Over iemand die ik ken", "Nee", "Jonger dan 16")
MOTHER = (
    "ze heeft ineens dure kleren en een tweede telefoon en gaat naar feestjes met oudere jongens"
)
SEEN = {"sig_money", "sig_phone2", "sig_parties"}


def test_what_a_mother_sees_is_ticked_at_the_question_of_what_she_sees(engine: Engine) -> None:
    """ "Zie je ook iets van dit?" answered in her own words: expensive things, a second
    phone and parties with older boys are the three signs of that question, ticked and
    said; a second phone is not "someone checks the phone"."""
    chat = Conversation(engine)
    chat.start()
    to(chat, *OTHER_TO_DO, "Klaar", "Klaar")
    assert chat.session is not None
    assert chat.session.state == "other_seen"
    out = chat.type(MOTHER)
    said = " ".join(texts(out))
    assert ticked(chat) == SEEN
    assert "Ik heb aangevinkt:" in said
    assert "Een tweede telefoon" in said
    assert "sig_phone" not in chat.session.answer("other_life")


def test_what_a_mother_sees_told_early_reaches_the_summary(engine: Engine) -> None:
    """The same signs told at the first question of the path wait (as codes) for the
    question they belong to, come ticked there, and are in the summary of the handoff."""
    chat = Conversation(engine)
    chat.start()
    to(chat, *OTHER_TO_DO)
    chat.type(MOTHER)
    assert ticked(chat) == set()  # none of them is a sign of "what happens"
    to(chat, "Klaar")
    out = chat.press("Klaar")
    assert ticked(chat) == SEEN
    assert "Je vertelde dit al. Daarom heb ik dit aangevinkt:" in " ".join(texts(out))
    to(chat, "Klaar", "Nee, laat de hulp zien")
    out = chat.press("Provincie Groningen")
    (handoff,) = [o for o in out if isinstance(o, Handoff)]
    for sentence in (
        "Hij of zij heeft ineens dure spullen of veel geld.",
        "Hij of zij heeft een tweede telefoon.",
        "Hij of zij gaat naar feestjes met oudere vrienden.",
    ):
        assert sentence in handoff.summary
    assert "Iemand controleert zijn of haar telefoon." not in handoff.summary


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "my son suddenly has loads of cash and a burner phone", {"sig_money", "sig_phone2"}),
        ("pl", "córka chodzi na imprezy ze starszymi facetami", {"sig_parties"}),
        ("ro", "fiul meu are un al doilea telefon ascuns", {"sig_phone2"}),
        ("bg", "дъщеря ми изведнъж има скъпи дрехи", {"sig_money"}),
        ("uk", "син ходить на вечірки зі старшими чоловіками", {"sig_parties"}),
        ("ar", "ابني عنده تلفون تاني ومخبيه", {"sig_phone2"}),
        ("nl", "mijn man heeft een tweede telefoon van zijn werk", set()),
        ("en", "we had a birthday party with the whole family and my older cousins", set()),
        ("en", "my son saved for months for new trainers", set()),
    ],
)
def test_the_signs_a_parent_sees_are_read_in_every_language(
    engine: Engine, lang: str, text: str, expected: set[str]
) -> None:
    """The three signs of "Zie je ook iets van dit?", and their near misses: a work phone,
    a family party, shoes saved for."""
    assert set(engine.readers.situation.read(text).signals) == expected, lang


def test_an_unless_reaches_as_far_back_as_the_pattern_says() -> None:
    """`before:` (Rule.unless_before): a cancelling concept ten words before the match
    cancels it when the pattern reaches 16 words back, not with the default 2."""
    gift, owe, them = 1, 2, 4
    heard = [gift] + [0] * 9 + [owe, them]
    present = gift | owe | them
    near = Rule("owe", "sig_debt", "sure", (owe, them), False, 8, gift)
    far = Rule("owe", "sig_debt", "sure", (owe, them), False, 8, gift, unless_before=16)
    assert near.matches(heard, present)
    assert not far.matches(heard, present)


@pytest.mark.parametrize(
    ("text", "debt"),
    [
        ("he bought me a phone and clothes and now he says i owe him", False),
        ("hij kocht alles voor me en nu zegt hij dat ik hem wat schuldig ben", False),
        ("he bought me a phone and now he says i owe him 500 euro", True),
        ("i owe them 2000 euro for the trip", True),
    ],
)
def test_owing_him_for_his_gifts_is_no_debt_unless_money_is_named(
    engine: Engine, text: str, debt: bool
) -> None:
    """ "He bought me things, now I owe him" is the gifts sign (the button says "I got
    gifts, now I must give back"); a debt is "hand over money or pay a debt": a sum."""
    signals = engine.readers.situation.read(text).signals
    assert ("sig_debt" in signals) == debt, (text, signals)


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        ("mi-a trimis pozele mele si daca nu ii dau 500 de euro le pune pe net", False),
        # Romanian "pune" alone is "puts" (online), not "makes me" ("ma pune sa"): no force.
        ("ex-ul meu zice ca pune pozele mele nud pe net daca nu ii dau 200 euro", False),
        ("he has my nudes and if i dont pay him 500 euro he posts them", False),
        ("he makes me send nude pics to his mates and if i dont pay 300 euro he hurts me", True),
        ("i have to send nudes to his friends and if i dont pay him 300 euro he hurts me", True),
        # The sum far after "they ... my nudes" cancels the sex pattern (Dutch puts the verb last).
        ("ze dreigen mn naaktfotos naar mn vrienden te sturen als ik niet 300 euro betaal", False),
        # Meeting men he picks cancels the block, even 8 words before it.
        (
            "he makes me meet guys from an app and if i dont give him 200 euro after each one "
            "he posts my nudes",
            True,
        ),
    ],
)
def test_pictures_held_for_money_are_no_sex_sign_unless_pictures_are_demanded(
    engine: Engine, text: str, sex: bool
) -> None:
    """Sextortion for money (pictures someone already has, spread unless a sum is paid) is a
    threat and a debt: the block keeps "send pictures" unticked. A demand for pictures in the
    same story cancels the block: that is the sex sign."""
    reading = engine.readers.situation.read(text)
    assert ("sig_sex" in reading.signals) == sex, (text, reading.signals)
    assert {"sig_threat", "sig_debt"} <= set(reading.signals), (text, reading.signals)


@pytest.mark.parametrize(
    "text",
    [
        "he wants nudes and says he will give me 200 for each",
        "hij wil naaktfotos en geeft me 50 euro per foto",
    ],
)
def test_pictures_asked_for_a_sum_he_offers_are_the_sex_sign(engine: Engine, text: str) -> None:
    """A sum he offers for pictures is no price to keep pictures offline: the sex sign."""
    reading = engine.readers.situation.read(text)
    assert "sig_sex" in reading.signals, (text, reading.signals)
    assert "sig_threat" not in reading.signals, (text, reading.signals)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("he made a fake account with my nudes and says he posts them if i dont pay 300", None),
        ("my boyfriend made me sleep with his friend", "sig_sex"),
        ("he makes me sell weed after school", "sig_drugs"),
    ],
)
def test_made_alone_is_created_and_made_me_is_force(
    engine: Engine, text: str, sign: str | None
) -> None:
    """English "made" alone is "created" (no bank sign from "made a fake account"); "made me"
    and "makes me" still say someone forces."""
    signals = engine.readers.situation.read(text).signals
    assert "sig_bank" not in signals, (text, signals)
    assert "sig_sex" not in signals or sign == "sig_sex", (text, signals)
    if sign:
        assert sign in signals, (text, signals)


@pytest.mark.parametrize(
    ("text", "sign", "ticked"),
    [
        # Bulgarian "мами" (lures) is no Ukrainian mum: no parent cancels the control pattern.
        ("приятелят ми ме мами и не ме пуска да излизам с приятелки", "sig_control", True),
        ("він сказав що інакше проблеми будуть у моєї мами", "sig_threat", True),
        # Trouble *with* mum for coming home late is no threat.
        ("muszę wrócić do domu o 22, bo inaczej będę miała kłopoty z mamą", "sig_threat", False),
        ("треба бути вдома о 22, інакше будуть проблеми з мамою", "sig_threat", False),
    ],
)
def test_mum_in_ukrainian_and_trouble_with_mum(
    engine: Engine, text: str, sign: str, ticked: bool
) -> None:
    signals = engine.readers.situation.read(text).signals
    assert (sign in signals) == ticked, (text, signals)


@pytest.mark.parametrize(
    ("text", "ticked"),
    [
        # The Dutch split verb "nalopen" (to check), with words between its two parts.
        ("hij loopt mijn telefoon na", True),
        ("mn vriend loopt elke dag mijn telefoon na en ik mag niks zeggen", True),
        ("haar vriendje loopt s avonds altijd haar whatsapp na", True),
        # No phone checked: walking with a phone ("na" is "after"), homework, a check agreed
        # at home.
        ("ze loopt met haar telefoon na school naar huis", False),
        ("ze loopt altijd met haar telefoon na het eten rond", False),
        ("hij loopt mijn kant op met zijn telefoon in zijn hand", False),
        ("mijn moeder loopt mijn huiswerk na", False),
        ("mijn vader loopt soms mijn telefoon na, dat hebben we zo afgesproken", False),
    ],
)
def test_the_split_verb_nalopen_is_a_phone_check(engine: Engine, text: str, ticked: bool) -> None:
    signals = engine.readers.situation.read(text).signals
    assert ("sig_phone" in signals) == ticked, (text, signals)


@pytest.mark.parametrize(
    ("text", "sign", "ticked"),
    [
        # A check "agreed" blocks the phone sign only when a parent agreed it, not a secret.
        (
            "we agreed he could check my phone but now he reads everything and gets angry",
            "sig_phone",
            True,
        ),
        (
            "hij checkt elke dag mijn telefoon en we hebben afgesproken dat ik niks zeg tegen mijn"
            " moeder",
            "sig_phone",
            True,
        ),
        # A work phone or an old phone beside one's own blocks the second-phone sign, not a
        # phone he gave and one must not tell about.
        (
            "he gave me a work phone and a second phone and says i must not tell my parents",
            "sig_phone2",
            True,
        ),
        (
            "i have two phones, my old one and the one he gave me for work that i must not tell"
            " anyone about",
            "sig_phone2",
            True,
        ),
        # Only allowed out at set times: someone deciding only when a person is named.
        ("ik mag alleen in het weekend naar buiten", "sig_control", False),
        ("i'm only allowed out on weekends", "sig_control", False),
        ("my bf says im only allowed out when he says so", "sig_control", True),
    ],
)
def test_round_21_blocks_and_patterns_stay_narrow(
    engine: Engine, text: str, sign: str, ticked: bool
) -> None:
    signals = engine.readers.situation.read(text).signals
    assert (sign in signals) == ticked, (text, signals)
