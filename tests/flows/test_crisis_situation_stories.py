"""Ordinary situation stories (a worried parent, a worker telling how things are) get no
crisis check and no crisis screen, pinned on the shipped content with the real detector.
Each sentence names one kind of false alarm found by running the detector over the
situation reader's example stories. None of them is a crisis example (the detector never
trained on them); the three reported ones are situation stories, the others are new."""

from __future__ import annotations

import pytest

from flows import Engine


@pytest.mark.parametrize(
    "sentence",
    [
        # the three reported stories
        "ze heeft sinds kort een tweede telefoon die ze verstopt en nieuwe dure sneakers, "
        "en ze gaat naar feestjes met jongens van 22",
        "mijn vader kocht een nieuwe fiets voor me en nu wil hij dat ik vaker help in huis",
        "ik werk via een uitzendbureau met een vast contract en we huren ons huis zelf van "
        "een makelaar, heb ik recht op kinderopvangtoeslag?",
    ],
)
def test_the_reported_situation_stories_get_no_check(engine: Engine, sentence: str) -> None:
    """The stories named in the report: a parent's, a boy's and a worker's; no check."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


@pytest.mark.parametrize(
    "sentence",
    [
        "mijn dochter heeft een vriend die veel ouder is en die verstopt ze voor ons",
    ],
)
def test_dutch_die_is_no_english_die(engine: Engine, sentence: str) -> None:
    """Dutch "die" (that, who) in a Dutch story is not read as English "die"."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


@pytest.mark.parametrize(
    "sentence",
    [
        "i just want to die",
        "ik kan niet meer, i just wanna die",
        # Dutch with English "die" and no English small word (the second reader's probes)
        "mijn leven is kut ik wil die",
        "ik hoop dat ik die",
        "hope ik die tonight",
        "ik wil die tonight",
        "omg ik wil fr die",
        # danger examples that must not hang on "die" alone
        "ik zit in een auto met mannen die ik niet ken",
        "ik heb opgezocht hoe hoog die brug is en vannacht ga ik erheen",
    ],
)
def test_english_die_still_counts_in_english_and_mixed_messages(
    engine: Engine, sentence: str
) -> None:
    """Only Dutch "die" before a pronoun or an article ("die ze verstopt", "die ik niet
    ken") is read as "that": English "die" in a Dutch message still counts."""
    assert engine.crisis(sentence).outcome != "no", sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "we huren het huis zelf van een woningcorporatie",  # huren: not "hurt"
        "ik bezorg kranten in de wijk en krijg 90 euro per maand",  # kranten: not "cut"
        "mijn vriend gaf me een ketting met mijn naam erin",  # ketting: not "keeping"
        "my brother is staying with me for a week while he looks for a flat",  # not "stabbing"
    ],
)
def test_an_everyday_word_is_no_typo_of_a_crisis_word(engine: Engine, sentence: str) -> None:
    """A word of the examples is a real word: it is not read as a slip of a crisis word."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


@pytest.mark.parametrize(
    "sentence",
    [
        "nu wil mijn stiefvader dat ik help met de afwas",
        "mijn moeder kocht nieuwe schoenen voor me en nu wil ze dat ik vaker help in huis",
    ],
)
def test_help_asked_at_home_is_no_cry_for_help(engine: Engine, sentence: str) -> None:
    """Help + he + now reads as "help, he is here now" unless the help is housework."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


def test_a_cry_for_help_with_someone_here_now_still_gets_the_screen(engine: Engine) -> None:
    assert engine.crisis("help hij is hier nu binnen").outcome != "no"
    assert engine.crisis("help me hes here now").outcome == "sure"


@pytest.mark.parametrize(
    "sentence",
    [
        "moja dziewczyna ciagle do mnie pisze, strasznie tesknie za nia",  # miss her
        "szef zaplacil mi za szkolenie, potracaja to z wyplaty",  # paid for
    ],
)
def test_polish_za_is_for_unless_before_me(engine: Engine, sentence: str) -> None:
    """Polish "za" is "behind" only in "za mną"; "zapłacić za", "tęsknić za" are no one
    walking behind me."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


def test_someone_walking_behind_me_in_polish_still_counts(engine: Engine) -> None:
    assert engine.crisis("jakiś facet idzie za mną od przystanku i się boję").outcome != "no"


@pytest.mark.parametrize(
    "sentence",
    [
        "i moved to a new flat last month and i love it",
        "last summer i worked at a campsite and i want to go back",
    ],
)
def test_english_last_is_no_dutch_burden(engine: Engine, sentence: str) -> None:
    """English "last" (last month) is not Dutch "een last" (a burden)."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


@pytest.mark.parametrize(
    "sentence", ["ik ben een last voor iedereen", "ik ben echt een last, i mean it"]
)
def test_dutch_last_is_still_a_burden(engine: Engine, sentence: str) -> None:
    assert engine.crisis(sentence).outcome != "no", sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "my mum threatens to take my playstation if i don't finish my homework",
        "mama dreigt dat ik geen zakgeld meer krijg als ik mijn huiswerk niet maak",
    ],
)
def test_a_parents_sanction_is_no_threat(engine: Engine, sentence: str) -> None:
    """Pocket money or a console taken away over homework is parenting, not danger."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


def test_a_threat_to_kill_family_still_counts(engine: Engine) -> None:
    assert engine.crisis("he threatens to kill my mum if i dont do what he says").outcome == "sure"


def test_working_in_a_closed_institution_is_not_being_locked_up(engine: Engine) -> None:
    sentence = (
        "jestem wychowawcą w zamkniętym ośrodku dla dziewczyn, jedna z nich dostaje "
        "prezenty od starszego faceta"
    )
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", verdict
    assert engine.crisis("zamknęli mnie w pokoju i nie mogę wyjść").outcome == "sure"
    assert (
        engine.crisis("ik zit opgesloten in een kamer en hij laat me niet gaan").outcome == "sure"
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "my gf gave me a ps5 for my birthday best gift ever",  # a present, not giving away
        "ik haal morgen een pakket op bij het postnl punt",  # a pick-up point, no full stop
        "امي اعطتني هديه",  # a gift, not a threat (هدد)
        "мені належить відпустка 20 днів",  # is due to me, not killing
    ],
)
def test_gifts_errands_and_what_is_due_are_no_crisis(engine: Engine, sentence: str) -> None:
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


@pytest.mark.parametrize(
    "sentence",
    [
        "my little brother says a man online wants naked videos from him",  # naked: not nakl*
        "ze dwingen me gestolen scooters te verkopen aan klasgenoten",  # gestolen: not gestoken
        "кажуть що я можу закрити борг якщо попрацюю на них місяць",  # to pay off, not lock up
    ],
)
def test_an_exploitation_story_is_no_crisis_screen(engine: Engine, sentence: str) -> None:
    """Words of exploitation stories (naked, stolen, closing a debt) read as themselves,
    not as a slip of a crisis word: the story goes to the situation questions."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


@pytest.mark.parametrize(
    "sentence",
    [
        "my dad threatens to take my xbox away if i dont clean up my room",  # a sanction
        "шефът е строг но заплатата ми идва винаги навреме",  # the wage comes, not a man
    ],
)
def test_a_sanction_or_a_wage_further_on_is_no_danger(engine: Engine, sentence: str) -> None:
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


@pytest.mark.parametrize(
    "sentence",
    [
        # the reported stories (round 9): a tablet, mistakes at work, a deposit
        "vreau sa pun control parental pe tableta fiului meu de 9 ani, cum fac?",
        "agencja potracila mi 400 za bledy i w tym tygodniu nie dostalem nic",
        "am o problema cu proprietarul, nu-mi da garantia inapoi dupa ce m-am mutat, ce pot sa fac",
        # new sentences of the same kinds
        "cum blochez youtube pe tableta fetei mele",
        "szef mowi ze za bledy zaplacimy kare",
    ],
)
def test_a_tablet_mistakes_and_a_deposit_are_no_crisis(engine: Engine, sentence: str) -> None:
    """Romanian "tableta" (a tablet to play on) is no pill, Polish "bledy" (mistakes) no
    bleeding, a landlord keeping the deposit no wish to die: no check, the story goes to
    the situation questions."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


@pytest.mark.parametrize(
    "sentence",
    ["i am bleeding a lot and cant stop", "it bled a lot last night and wont stop"],
)
def test_bleeding_still_counts(engine: Engine, sentence: str) -> None:
    """ "bleed*" became its forms (so "bledy" is no bleeding): the forms still count."""
    assert engine.crisis(sentence).outcome != "no"


@pytest.mark.parametrize(
    ("sentence", "crisis"),
    [
        ("am inghitit toate tabletele", True),  # swallowed all the pills
        ("vreau sa iau toate tabletele din casa", True),
        ("cumpar o tableta noua pentru fiica mea", False),  # a new tablet for my daughter
    ],
)
def test_romanian_tablets_are_pills_in_the_plural(
    engine: Engine, sentence: str, crisis: bool
) -> None:
    """Romanian "tablete(le)" are pills ("all the pills"); "o tableta" to buy for a child is
    a tablet (concept `device`): the plural still reads as pills."""
    assert (engine.crisis(sentence).outcome != "no") == crisis, sentence


@pytest.mark.parametrize(
    "sentence",
    [
        # friends one no longer sees are control, not "I see no way out"
        "he reads my messages and i cant even see my mates anymore",
        # Bulgarian "ще ме зареже" (he will dump me) is not the Russian "stab"
        "ako ne mu pratq snimki shte me zarezhe za druga",
        "ако не му пратя снимки ще ме зареже за друга",
        # Ukrainian "втомлююсь" (I get tired) is no typo of "втоплюсь" (I will drown myself)
        "працюю на прибиранні в готелі, дуже втомлююсь, діти ходять до школи",
    ],
)
def test_friends_a_break_up_and_tiredness_are_no_crisis_screen(
    engine: Engine, sentence: str
) -> None:
    """Round 11's situation stories that got a crisis screen: none is a crisis."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "no", (sentence, verdict)


@pytest.mark.parametrize(
    "sentence",
    [
        "ik zie het echt niet meer zitten",
        "i cant see a way out anymore",
        "i dont see a way out anymore, my friends dont get it",
        # Bulgarian "заколи" (will slaughter): missed before this round
        "ще ме заколи ако кажа",
        "той каза че ще ме наръга",
    ],
)
def test_no_way_out_and_a_knife_threat_still_count(engine: Engine, sentence: str) -> None:
    """The narrowed words leave the crisis sentences they stood for: a crisis screen."""
    verdict = engine.crisis(sentence)
    assert verdict.outcome == "sure", (sentence, verdict)
