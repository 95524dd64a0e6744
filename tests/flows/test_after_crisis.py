"""After a crisis screen, and for a service that reads Dutch: what the handoff shows."""

from __future__ import annotations

from flows import Engine, Handoff, Message
from tests.flows.test_engine import Conversation
from tests.flows.test_situation import to


def handoff(chat: Conversation) -> Handoff:
    found = [o for o in chat.outputs if isinstance(o, Handoff)]
    assert found, "no handoff"
    return found[0]


def test_after_a_crisis_the_handoff_shows_113_first(engine: Engine) -> None:
    """ "ik wil niet meer leven" halfway: the crisis screen, then on; the services start
    with 113 and say why."""
    chat = Conversation(engine)
    chat.start()
    to(chat, "Ja, het is veilig", "Over mij", "Nee", "16 of 17")
    chat.type("ik wil niet meer leven")
    to(chat, "Verder met het gesprek", "Ik moet drugs of pakjes brengen", "Klaar", "Klaar")
    to(chat, "Ja, laat zien", "Provincie Groningen")
    shown = handoff(chat)
    assert shown.services[0] == "zelfmoordpreventie_113"
    cards = [o.text for o in chat.outputs if isinstance(o, Message)]
    assert any("Praat er nu over met 113" in card for card in cards)


def test_without_a_crisis_the_handoff_starts_with_fier(engine: Engine) -> None:
    chat = Conversation(engine)
    chat.start()
    to(chat, "Ja, het is veilig", "Over mij", "Nee", "16 of 17")
    to(chat, "Ik moet drugs of pakjes brengen", "Klaar", "Klaar", "Ja, laat zien")
    to(chat, "Provincie Groningen")
    assert handoff(chat).services[0] == "fier"


def test_a_polish_summary_has_a_dutch_version_under_it(engine: Engine) -> None:
    """Fier, the Labour Authority and the police read Dutch: the summary to copy carries the
    same sentences in Dutch, under the person's own."""
    chat = Conversation(engine, lang="pl")
    chat.start()
    to(chat, "Tak, jest bezpiecznie", "O mnie", "Nie", "Od 18 do 23 lat")
    to(chat, "Szef ma mój dowód lub daje mi mieszkanie", "Gotowe", "Gotowe", "Tak, pokaż")
    to(chat, "Gdzie indziej w Holandii")
    summary = handoff(chat).summary
    own, _, dutch = summary.partition("\n\nDla osoby, która pomaga, po niderlandzku:\n")
    assert engine.content.text("pl", "summary.self.age18_23") in own
    assert engine.content.text("nl", "summary.self.age18_23") in dutch
    assert engine.content.text("nl", "summary.self.boss") in dutch
