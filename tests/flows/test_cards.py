"""Service cards and multiple-choice buttons as values a channel can draw (the web page).

The text of a handoff stays what Telegram and the terminal show; next to it, the message
carries each service as a :class:`Card` and each option as tickable or submitting.
"""

from __future__ import annotations

from flows import Card, Engine, Message
from tests.flows.test_engine import TUESDAY_10, Conversation, messages, mini

__all__ = ["mini"]  # the engine on the small test content, a fixture


def test_each_service_is_a_card_in_the_order_of_the_text(mini: Engine) -> None:
    """The handoff's message keeps its text and holds its paragraphs and cards in order:
    name, purpose, why, open now or not, the number to call, the link, the details."""
    chat = Conversation(mini, at=TUESDAY_10)
    chat.start()
    chat.press("Ja")
    chat.press("Over mij")
    chat.press("Geld")
    out = chat.press("Klaar")
    cards_message = next(m for m in messages(out) if m.parts)
    cards = [p for p in cards_message.parts if isinstance(p, Card)]
    assert [c.service for c in cards] == ["test_open", "test_office"]
    texts = [p for p in cards_message.parts if isinstance(p, str)]
    assert texts[:2] == ["Dank je.", "Hier is hulp."]
    office = cards[1]
    assert office.name.startswith("Kantoor")
    assert office.why == "Omdat het over geld gaat."
    assert office.status == "Nu open."
    assert office.open is True
    assert office.phone == "0800-0000"
    assert office.free is True
    assert "0800-0000 (gratis)" in office.phone_line
    assert office.link is not None
    assert office.link in cards_message.links
    assert office.details == ("Talen: Nederlands, Polski",)  # no interpreter line in Dutch
    # The plain text says all of it, for channels that draw no cards.
    for card in cards:
        assert card.name in cards_message.text
        assert card.status in cards_message.text


def test_options_are_tickable_and_klaar_submits(mini: Engine) -> None:
    """In a multiple-choice question each option is tickable, Klaar submits; elsewhere
    a button is neither."""
    chat = Conversation(mini)
    out = chat.start()
    first = [b for m in messages(out) for row in m.buttons for b in row]
    assert not any(b.tickable or b.submit for b in first)
    chat.press("Ja")
    out = chat.press("Over mij")
    [question] = [m for m in messages(out) if m.buttons]
    assert isinstance(question, Message)
    found = {b.label: b for row in question.buttons for b in row}
    assert found["Geld"].tickable
    assert not found["Geld"].submit
    assert found["Klaar"].submit
    assert not found["Klaar"].tickable
    assert not found["Stop en wis"].tickable
    assert not found["Stop en wis"].submit
