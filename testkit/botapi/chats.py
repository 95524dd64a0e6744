"""The chats the stand-in keeps: users, private chats, groups and channels, their visible
messages and message ids (one counter shared by every private chat, with gaps)."""

from __future__ import annotations

import time
from typing import Any

from testkit.botapi.shapes import (
    JSON,
    BotAPIError,
    _as_int,
    _bad,
    _bot_command_entities,
    _Chat,
    make_user,
)


class Chats:
    """Part of :class:`~testkit.botapi.server.StandinBotAPI`: chats and their messages."""

    def user(self, user_id: int, **fields: Any) -> JSON:
        """Build a Bot API User (see :func:`make_user`)."""
        return make_user(user_id, **fields)

    def _chat(self, chat_id: int, chat_type: str | None = None, user: JSON | None = None) -> _Chat:
        """The chat with this id, created on first sight from its id or the given type."""
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type is None:
                if chat_id > 0:
                    chat_type = "private"
                elif str(chat_id).startswith("-100"):
                    chat_type = "supergroup"
                else:
                    chat_type = "group"
            info: JSON = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                user = user or make_user(chat_id)
                for key in ("first_name", "last_name", "username"):
                    if key in user:
                        info[key] = user[key]
            else:
                kind = {"channel": "Channel", "group": "Group"}.get(chat_type, "Supergroup")
                info["title"] = f"{kind} {abs(chat_id)}"
            chat = _Chat(info, user if chat_type == "private" else None)
            self._chats[chat_id] = chat
        return chat

    def _chat_for_bot(self, value: Any) -> _Chat:
        """Resolve a chat_id parameter as Telegram does for the bot's own calls."""
        if isinstance(value, str) and value.startswith("@"):
            chat_id = self._usernames.get(value[1:].lower())
            if chat_id is None:
                raise _bad("chat not found")
        else:
            chat_id = _as_int(value, "chat_id")
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id <= 0:
                raise _bad("chat not found")
            chat = self._chat(chat_id)
        if chat.bot_status != "member":
            kind = chat.info["type"]
            if kind == "private":
                raise BotAPIError(403, "Forbidden: bot was blocked by the user")
            if chat.bot_status == "kicked":
                raise BotAPIError(403, f"Forbidden: bot was kicked from the {kind} chat")
            raise BotAPIError(403, f"Forbidden: bot is not a member of the {kind} chat")
        return chat

    def _store(self, chat: _Chat, message: JSON) -> None:
        chat.messages[message["message_id"]] = message
        if self._history is not None and len(chat.messages) > self._history:
            del chat.messages[next(iter(chat.messages))]
            del chat.sent_texts[: -self._history]

    def _default_user(self, chat: _Chat) -> JSON:
        if chat.user is not None:
            return chat.user
        return make_user(555_000_111)

    def _new_message_id(self, chat: _Chat) -> int:
        """The next message id: one shared counter with gaps for private chats, as Telegram."""
        if chat.info["type"] != "private":
            message_id = chat.next_message_id
            chat.next_message_id += 1
            return message_id
        self._private_ids += 1 + (self._gaps.randint(0, self._id_gaps) if self._id_gaps else 0)
        return self._private_ids

    def age(self, chat_id: int, seconds: float) -> None:
        """Move every message of a chat ``seconds`` into the past (for the 48-hour rule)."""
        chat = self._chats[chat_id]
        for message in chat.messages.values():
            message["date"] = int(message["date"] - seconds)

    def _user_message(
        self, chat_id: int, user: JSON | None, chat_type: str | None = None, **content: Any
    ) -> JSON:
        """Register a message the user sent and return it."""
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chat(chat_id, chat_type, user)
        elif user is not None and chat.info["type"] == "private":
            chat.user = user
        sender = user or self._default_user(chat)
        if chat.info["type"] == "private":
            chat.bot_status = "member"  # writing to a bot again unblocks it
        message_id = self._new_message_id(chat)
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.info,
            "date": int(time.time()),
        }
        text = content.get("text")
        if text is not None and "entities" not in content:
            entities = _bot_command_entities(text)
            if entities:
                content["entities"] = entities
        message.update(content)
        self._store(chat, message)
        return dict(message)  # a snapshot: later edits change the chat, not this update

    def _update(self, kind: str, payload: JSON) -> JSON:
        return {"update_id": next(self._update_ids), kind: payload}

    def _new_file(self, folder: str, extension: str, size: int) -> tuple[str, str]:
        number = next(self._ids)
        file_id = f"AgACAgQAAxkBAAI{number:06d}standin"
        unique = f"AQAD{number:06d}"
        self._files[file_id] = {
            "file_unique_id": unique,
            "file_size": size,
            "file_path": f"{folder}/file_{number}.{extension}",
            "content": f"standin file {number}\n".encode().ljust(size, b"\0"),
        }
        return file_id, unique
