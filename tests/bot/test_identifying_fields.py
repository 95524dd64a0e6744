"""The code never reads who someone is: a test that fails when it starts to.

Telegram updates carry user ids, names, usernames, phone numbers and
locations. baken needs none of them. The only things it may know are the chat
id (to answer, turned into an HMAC before it is stored anywhere), message ids
(to erase), and *whether* a contact or location was shared (to delete it).
This test reads every module under bot/ and flows/ and fails on any access to
an identifying field, by attribute, by getattr or by dictionary key.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("bot", "flows")

# Fields of Telegram objects (User, Chat, Contact, Location, Venue, Message) that identify a
# person or a place, or that hand over a whole user object.
IDENTIFYING = frozenset(
    {
        "username",
        "first_name",
        "last_name",
        "full_name",
        "name_link",
        "mention_html",
        "mention_markdown",
        "mention_markdown_v2",
        "phone_number",
        "vcard",
        "latitude",
        "longitude",
        "horizontal_accuracy",
        "live_period",
        "address",
        "foursquare_id",
        "google_place_id",
        "effective_user",
        "from_user",
        "sender_chat",
        "bio",
        "birthdate",
        "personal_chat",
        "active_usernames",
        "emoji_status_custom_emoji_id",
        "user_id",
        "contact_user_id",
        "effective_sender",
        "business_connection_id",
        "via_bot",
        "forward_origin",
        "text_html",
        "text_markdown",
        "caption_html",
        # WhatsApp notifications (bot/channels/whatsapp/): the profile name, a shared
        # contact's names and numbers, our own number, a status's recipient.
        "profile",
        "formatted_name",
        "phones",
        "display_phone_number",
        "recipient_id",
    }
)
# A user object may be touched only to read these coarse, non-identifying fields, in one
# expression (``message.from_user.language_code``), never kept in a variable.
USER_OBJECTS = frozenset({"effective_user", "from_user"})
HARMLESS_USER_FIELDS = frozenset({"language_code", "is_bot"})
# Whole updates serialised: they contain all of the above.
SERIALISING_CALLS = frozenset({"to_dict", "to_json"})
ALLOWED_TO_JSON_OWNERS = frozenset({"session", "new", "self"})  # our own Session values


def modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    rel = path.relative_to(ROOT)
    harmless = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in HARMLESS_USER_FIELDS
        and isinstance(node.value, ast.Attribute)
        and node.value.attr in USER_OBJECTS
    }
    # Testing whether a user object is there reads nothing from it.
    for node in ast.walk(tree):
        tests: list[ast.expr] = []
        if isinstance(node, ast.IfExp | ast.If):
            tests.append(node.test)
        elif isinstance(node, ast.Compare) and all(
            isinstance(op, ast.Is | ast.IsNot) for op in node.ops
        ):
            tests.append(node.left)
        harmless.update(
            id(t) for t in tests if isinstance(t, ast.Attribute) and t.attr in USER_OBJECTS
        )
    for node in ast.walk(tree):
        if id(node) in harmless:
            continue
        if isinstance(node, ast.Attribute) and node.attr in IDENTIFYING:
            found.append(f"{rel}:{node.lineno}: reads .{node.attr}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in IDENTIFYING
        ):
            found.append(f"{rel}:{node.lineno}: names the field {node.value!r}")
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == "from"
        ):
            found.append(f"{rel}:{node.lineno}: reads ['from'] (the sender)")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SERIALISING_CALLS
        ):
            owner = node.func.value
            if not (
                isinstance(owner, ast.Name)
                and owner.id in ALLOWED_TO_JSON_OWNERS
                and node.func.attr == "to_json"
            ):
                found.append(
                    f"{rel}:{node.lineno}: serialises a whole object (.{node.func.attr}())"
                )
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_reads_no_identifying_field(path: Path) -> None:
    """No module under bot/ or flows/ touches names, usernames, phone numbers or locations."""
    assert offences(path) == []


def test_the_check_catches_what_it_should(tmp_path: Path) -> None:
    """The scanner itself finds each kind of access (so the test above can fail)."""
    sample = tmp_path / "bot" / "leaky.py"
    sample.parent.mkdir()
    sample.write_text(
        "def f(update, raw):\n"
        "    a = update.effective_user.username\n"
        "    b = getattr(update.message.contact, 'phone_number')\n"
        "    c = raw['message']['from']\n"
        "    d = update.to_dict()\n"
        "    e = update.message.location.latitude\n"
        "    lang = update.message.from_user.language_code\n"
        "    user = update.message.from_user\n"
        "    there = update.message.from_user is not None\n",
        encoding="utf-8",
    )
    global ROOT
    saved = ROOT
    ROOT = tmp_path
    try:
        found = offences(sample)
    finally:
        ROOT = saved
    text = "\n".join(found)
    assert "leaky.py:7:" not in text  # reading the language preference in one go is fine
    assert "leaky.py:8: reads .from_user" in text  # keeping the user object is not
    assert "leaky.py:9:" not in text  # checking it is there is fine
    for expected in (
        ".effective_user",
        ".username",
        "'phone_number'",
        "['from']",
        ".to_dict()",
        ".latitude",
    ):
        assert expected in text, text
