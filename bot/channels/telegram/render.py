"""Telegram <-> engine, as pure functions: an Update becomes an action, outputs become messages.

Nothing here does I/O; :mod:`bot.channels.telegram.channel` carries out what these
functions decide. Decisions, deliberately made:

**Private chats only.** A message, button press or membership change from a group,
supergroup or channel is never a conversation: :func:`classify` answers :class:`Leave`.
Only groups get one short neutral line first (a channel post would be public).

**What is read of an update.** The chat id (only to make an HMAC session key, and as
the address of the reply), the chat type, message ids (for erase), the text, a caption
(only to spot a crisis sentence), callback data, the language code of the person's
Telegram app (to pick nl or en at /start) and *whether* a contact, location, venue or
passport data was shared. Never a name, username, phone number or coordinates.

**Anything that is not text** (sticker, photo, voice, video, document, poll, …) gets a
kind note ("I only read text and buttons") and the current question again. A photo
whose caption is a crisis sentence is answered as that sentence: safety first.
A shared **contact, location, venue or passport data** is deleted at once; the note
says the bot does not need it. Service messages (pins, auto-delete timers, …) are
ignored. An **edited message** is answered like a crisis sentence when it is one;
otherwise the note says edits are not read, and the question comes again.

**Buttons.** Callback data is the engine's own (``<option>.<tag>`` or ``!global``), at
most 64 bytes; the engine validates it, so forged or stale data gets a gentle answer.
After a press the engine says what was chosen (``Answered``, as labels): the pressed
message *keeps its text and loses its answer buttons*, with the choice appended
(``→ label``, operator text ``channel.chosen``), so the chat reads like a conversation
afterwards; link buttons stay. A stale press (``Stale``) only loses the buttons. A
multiple-choice toggle (``Message.replaces``) edits the keyboard of the pressed message
in place. Everything else is sent as new messages. A question answered by *typing*
keeps its buttons (the session does not know which message carries them); pressing
one later gets the engine's "that button belongs to an older question".

**Text is sent as plain text** (no HTML), so content can never break the markup.
Copyable summaries get a ``code`` entity (one tap copies on phones) and, when short
enough, a copy button. Phone numbers stay plain text: Telegram turns them into links.
Link previews are off. The user's own text is never sent back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from telegram import (
    BotCommand,
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
from telegram import Message as TgMessage
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import filters

from bot.channels import channel_texts as texts
from flows import Choice, Event, Message, Resume, Text
from flows.commands import typed_event

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_COPY_TEXT = 256
MAX_DELETE_BATCH = 100

# The channel's own texts in content/texts/*.yaml (section `channel:`).
ONLY_TEXT = texts.TELEGRAM_ONLY_TEXT
SHARED_REMOVED = texts.TELEGRAM_SHARED_REMOVED
EDITED = texts.TELEGRAM_EDITED
GROUP_LEAVE = texts.TELEGRAM_GROUP_LEAVE
ERASE_FAILED = texts.TELEGRAM_ERASE_FAILED
CHOSEN = texts.TELEGRAM_CHOSEN
COPY = texts.TELEGRAM_COPY
COMMAND_TEXTS = texts.TELEGRAM_COMMANDS

# The language command is /taal in Dutch and /lang in every other language; the engine
# knows both (and /language) from every state.
LANGUAGE_COMMAND = {"nl": "taal"}
DEFAULT_LANGUAGE_COMMAND = "lang"

# Update types baken asks Telegram for (setWebhook and getUpdates).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")

_GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
_PRESENT = frozenset(
    {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.RESTRICTED}
)
_SERVICE = filters.StatusUpdate.ALL

# ---------------------------------------------------------------- incoming


@dataclass(frozen=True, slots=True)
class Pressed:
    """The bot message whose button was pressed (its own text and keyboard)."""

    message_id: int
    text: str | None
    entities: tuple[MessageEntity, ...]
    keyboard: tuple[tuple[InlineKeyboardButton, ...], ...]


@dataclass(frozen=True, slots=True)
class Converse:
    """Step the private conversation with ``event``.

    ``seen``: incoming message ids to remember for erase. ``note``: a channel text
    key to show before the engine's answer. ``delete``: incoming messages to delete
    at once. ``query_id``: the button press to answer. ``pressed``: the message
    whose button was pressed.
    """

    chat_id: int
    event: Event
    seen: tuple[int, ...] = ()
    note: str | None = None
    delete: tuple[int, ...] = ()
    query_id: str | None = None
    pressed: Pressed | None = None


@dataclass(frozen=True, slots=True)
class Leave:
    """Leave a group, supergroup or channel; ``notice``: say one neutral line first."""

    chat_id: int
    notice: bool
    lang: str | None = None
    query_id: str | None = None


@dataclass(frozen=True, slots=True)
class Forget:
    """The person blocked the bot: drop their session."""

    chat_id: int


@dataclass(frozen=True, slots=True)
class Ignore:
    """Nothing to do (beyond answering a button press, if any)."""

    query_id: str | None = None


Action = Converse | Leave | Forget | Ignore


def chat_id_of(update: Update) -> int | None:
    """The chat an update belongs to (for ordering and the session key), if any."""
    chat = update.effective_chat
    return chat.id if chat is not None else None


def _lang(code: str | None, languages: Collection[str]) -> str | None:
    """The content language matching a Telegram language code ('en-GB' -> 'en')."""
    if not code:
        return None
    primary = code.split("-", 1)[0].lower()
    return primary if primary in languages else None


def _text_event(text: str, at: int, lang: str | None) -> tuple[str, Event]:
    event = typed_event(text, at, suggest=lang)  # a suggested language: offered, never switched
    return ("text" if isinstance(event, Text) else "command"), event


def _shared(message: TgMessage) -> bool:
    """Whether the message shares a contact, a place or identity papers (never their content)."""
    return (
        message.contact is not None
        or message.location is not None
        or message.venue is not None
        or message.passport_data is not None
    )


def classify(
    update: Update,
    at: int,
    *,
    is_crisis: Callable[[str], bool],
    languages: Collection[str],
) -> tuple[str, Action]:
    """What to do with an update, and its kind for the metrics (see ``UPDATE_TYPES``)."""
    if update.callback_query is not None:
        return _classify_press(update, at, languages)
    if update.my_chat_member is not None:
        member = update.my_chat_member
        chat = member.chat
        status = member.new_chat_member.status
        if chat.type == ChatType.PRIVATE:
            if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
                return "member", Forget(chat.id)
            return "member", Ignore()
        if status in _PRESENT:
            lang = _lang(member.from_user.language_code if member.from_user else None, languages)
            return "member", Leave(chat.id, notice=chat.type in _GROUPS, lang=lang)
        return "member", Ignore()
    if update.channel_post is not None or update.edited_channel_post is not None:
        post = update.channel_post or update.edited_channel_post
        assert post is not None
        return "channel", Leave(post.chat.id, notice=False)
    edited = update.edited_message is not None
    message = update.message or update.edited_message
    if message is None:
        return "other", Ignore()
    chat = message.chat
    if chat.type != ChatType.PRIVATE:
        if chat.type == ChatType.CHANNEL:
            return "channel", Leave(chat.id, notice=False)
        lang = _lang(_language_of(message), languages)
        return "group", Leave(chat.id, notice=True, lang=lang)
    lang = _lang(_language_of(message), languages)
    chat_id = chat.id
    own = (message.message_id,)
    if edited:
        text = message.text or message.caption
        if text and is_crisis(text):
            return "edited", Converse(chat_id, Text(at=at, text=text), seen=own)
        return "edited", Converse(chat_id, Resume(at=at), note=EDITED)
    if message.text is not None:
        kind, event = _text_event(message.text, at, lang)
        return kind, Converse(chat_id, event, seen=own)
    if _shared(message):
        return "shared", Converse(chat_id, Resume(at=at), note=SHARED_REMOVED, delete=own)
    if _SERVICE.check_update(update):
        return "service", Ignore()
    caption = message.caption
    if caption and is_crisis(caption):
        return "non_text", Converse(chat_id, Text(at=at, text=caption), seen=own)
    return "non_text", Converse(chat_id, Resume(at=at), seen=own, note=ONLY_TEXT)


def _classify_press(update: Update, at: int, languages: Collection[str]) -> tuple[str, Action]:
    query = update.callback_query
    assert query is not None
    message = query.message
    if message is None:  # a button under an inline-mode message: not ours
        return "button", Ignore(query.id)
    chat = message.chat
    if chat.type != ChatType.PRIVATE:
        return "button", Leave(chat.id, notice=False, query_id=query.id)
    pressed = None
    if isinstance(message, TgMessage) and message.is_accessible:
        markup = message.reply_markup
        pressed = Pressed(
            message_id=message.message_id,
            text=message.text,
            entities=tuple(message.entities),
            keyboard=tuple(tuple(row) for row in markup.inline_keyboard) if markup else (),
        )
    data = query.data if isinstance(query.data, str) else ""
    return "button", Converse(chat.id, Choice(at=at, data=data), query_id=query.id, pressed=pressed)


# ---------------------------------------------------------------- outgoing


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One sendMessage."""

    text: str
    entities: tuple[MessageEntity, ...] = ()
    reply_markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    """Change a sent message: its text (None: leave it) and its keyboard (None: remove it)."""

    message_id: int
    text: str | None
    entities: tuple[MessageEntity, ...] = ()
    reply_markup: InlineKeyboardMarkup | None = None


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long text into pieces of at most ``limit`` characters, at line breaks if possible."""
    if not text.strip():
        return []
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest.strip():
        pieces.append(rest)
    return pieces


def _safe_url(url: str) -> bool:
    return url.startswith(("https://", "http://", "tg://"))


def _callback_ok(data: str) -> bool:
    return 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA


def keyboard(
    message: Message, *, copy_label: str | None = None
) -> tuple[InlineKeyboardMarkup | None, tuple[str, ...]]:
    """The inline keyboard for a message: link rows first, then answer rows.

    Returns the markup and the callback data left out because it was over 64 bytes
    (a content problem to report; the other buttons still work).
    """
    rows: list[list[InlineKeyboardButton]] = []
    dropped: list[str] = []
    for link in message.links:
        if _safe_url(link.url):
            rows.append([InlineKeyboardButton(link.label, url=link.url)])
    if copy_label and message.copyable and 1 <= len(message.text) <= MAX_COPY_TEXT:
        rows.append([InlineKeyboardButton(copy_label, copy_text=CopyTextButton(message.text))])
    for row in message.buttons:
        buttons = []
        for button in row:
            if _callback_ok(button.data):
                buttons.append(InlineKeyboardButton(button.shown, callback_data=button.data))
            else:
                dropped.append(button.data)
        if buttons:
            rows.append(buttons)
    return (InlineKeyboardMarkup(rows) if rows else None), tuple(dropped)


def render_message(
    message: Message, *, copy_label: str | None = None
) -> tuple[list[Outgoing], tuple[str, ...]]:
    """One engine message as sendMessage calls (more than one only for very long texts).

    The keyboard goes on the last piece. Returns the calls and any dropped callback data.
    """
    markup, dropped = keyboard(message, copy_label=copy_label)
    pieces = split_text(message.text) or ["…"]
    out: list[Outgoing] = []
    for i, piece in enumerate(pieces):
        entities: tuple[MessageEntity, ...] = ()
        if message.copyable:
            entities = (MessageEntity(MessageEntity.CODE, 0, utf16_len(piece)),)
        last = i == len(pieces) - 1
        out.append(Outgoing(piece, entities, markup if last else None))
    return out, dropped


def plain(text: str) -> list[Outgoing]:
    """A channel text (note, notice) as sendMessage calls."""
    return [Outgoing(piece) for piece in split_text(text)]


def _kept_buttons(
    rows: Sequence[Sequence[InlineKeyboardButton]],
) -> InlineKeyboardMarkup | None:
    """The rows without answer buttons: links and copy buttons stay usable."""
    kept = [[b for b in row if b.callback_data is None] for row in rows]
    kept = [row for row in kept if row]
    return InlineKeyboardMarkup(kept) if kept else None


def settle_press(pressed: Pressed, labels: Sequence[str], *, chosen_template: str) -> Edit | None:
    """How the pressed message should look now: answer buttons gone, the choice appended.

    ``labels``: what was chosen (empty for a stale press: only the buttons go). None
    when there is nothing to change (no answer buttons on it).
    """
    if not any(isinstance(b.callback_data, str) for row in pressed.keyboard for b in row):
        return None
    markup = _kept_buttons(pressed.keyboard)
    if pressed.text and labels:
        lines = "\n".join(chosen_template.replace("{label}", label) for label in labels)
        text = f"{pressed.text}\n\n{lines}"
        if len(text) <= MAX_TEXT:
            return Edit(pressed.message_id, text, pressed.entities, markup)
    return Edit(pressed.message_id, None, (), markup)


def replace_in_place(
    pressed: Pressed, message: Message, *, copy_label: str | None = None
) -> Edit | None:
    """A multiple-choice toggle: the same question with new ticks, edited into the pressed message.

    Only when the pressed message shows that very question; otherwise None (send it anew).
    """
    if not message.replaces or pressed.text is None or pressed.text != message.text:
        return None
    markup, _ = keyboard(message, copy_label=copy_label)
    return Edit(pressed.message_id, None, (), markup)


def erase_batches(ids: Iterable[int], size: int = MAX_DELETE_BATCH) -> list[tuple[int, ...]]:
    """Message ids to delete, oldest first, in batches of at most ``size`` (deleteMessages)."""
    ordered = sorted({i for i in ids if i > 0})
    return [tuple(ordered[i : i + size]) for i in range(0, len(ordered), size)]


def bot_commands(
    text: Callable[[str, str], str], languages: Sequence[str], default_lang: str
) -> list[tuple[str | None, list[BotCommand]]]:
    """The command menu per language code (None: everyone else, in ``default_lang``)."""
    menus: list[tuple[str | None, list[BotCommand]]] = []
    for code in (None, *languages):
        lang = code or default_lang
        commands = []
        for name, key in COMMAND_TEXTS.items():
            command = name
            if name == "language":
                command = LANGUAGE_COMMAND.get(lang, DEFAULT_LANGUAGE_COMMAND)
            commands.append(BotCommand(command, text(lang, key)[:256]))
        menus.append((code, commands))
    return menus


def _language_of(message: TgMessage) -> str | None:
    """The sender's app language (a coarse preference, the only field of the sender read)."""
    return message.from_user.language_code if message.from_user else None
