"""The soak run's duplicate check (tests/soak.py: repeated_sends), on made-up timelines."""

from __future__ import annotations

from tests.soak import repeated_sends


def test_one_update_answered_twice_is_a_duplicate() -> None:
    """Posted at 0; the same question at 1 and at 2: the second is a duplicate."""
    assert repeated_sends([(1.0, "q"), (2.0, "q")], [0.0]) == [1]


def test_the_same_question_for_two_updates_is_not() -> None:
    """The person pressed again at 1.5: two updates, two equal answers."""
    assert repeated_sends([(1.0, "q"), (2.0, "q")], [0.0, 1.5]) == []


def test_an_update_that_overtook_a_slow_turn_still_counts() -> None:
    """Help asked at 0, answered only at 5 (a slow turn); help asked again at 3, answered at 6.

    The second update was posted before the first answer, yet it explains the second
    equal answer: the bot handles updates in order, so nothing was sent twice.
    """
    sends = [(1.0, "edit"), (5.0, "help"), (6.0, "help")]
    assert repeated_sends(sends, [0.0, 3.0]) == []


def test_an_update_is_used_once() -> None:
    """Two updates cannot explain three equal answers in a row."""
    sends = [(1.0, "help"), (2.0, "help"), (3.0, "help")]
    assert repeated_sends(sends, [0.0, 1.5]) == [2]


def test_an_update_posted_after_the_repeat_does_not_excuse_it() -> None:
    """An update posted after the second send cannot have caused it."""
    assert repeated_sends([(1.0, "q"), (2.0, "q"), (3.0, "r")], [0.0, 2.5]) == [1]


def test_different_messages_of_one_turn_are_fine() -> None:
    """One update, several different messages: no duplicate."""
    assert repeated_sends([(1.0, "a"), (1.1, "b"), (1.2, "c")], [0.0]) == []
