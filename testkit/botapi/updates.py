"""Realistic updates, as Telegram sends them: text, commands, button presses, contacts,
locations, media, groups, channels, membership changes and edits."""

from __future__ import annotations

import time

from testkit.botapi.shapes import (
    JSON,
    _bot_command_entities,
    _chat_member,
    _utf16_len,
)


class UpdateBuilders:
    """Part of :class:`~testkit.botapi.server.StandinBotAPI`: building updates to deliver."""

    def text_update(self, chat_id: int, text: str, *, user: JSON | None = None) -> JSON:
        """A private (or any) chat message with text; /commands get bot_command entities."""
        return self._update("message", self._user_message(chat_id, user, text=text))

    def command_update(
        self, chat_id: int, command: str, payload: str | None = None, *, user: JSON | None = None
    ) -> JSON:
        """A /command message, e.g. ``command_update(42, "/start", "abc")``."""
        if not command.startswith("/"):
            command = f"/{command}"
        text = command if payload is None else f"{command} {payload}"
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
        message = self._user_message(chat_id, user, text=text, entities=[entity])
        return self._update("message", message)

    def callback_update(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user: JSON | None = None,
    ) -> JSON:
        """A button press on a bot message (default: the latest with an inline keyboard)."""
        chat = self._chat(chat_id)
        if message_id is None:
            bot_ids = {bot["id"] for bot in self._bots.values()}
            for candidate in reversed(chat.messages.values()):
                if candidate.get("from", {}).get("id") in bot_ids and "reply_markup" in candidate:
                    message_id = candidate["message_id"]
                    break
            else:
                raise ValueError(f"chat {chat_id} has no bot message with an inline keyboard")
        stored = chat.messages.get(message_id)
        if stored is None:  # deleted or never sent: Telegram gives an InaccessibleMessage
            message: JSON = {"chat": chat.info, "message_id": message_id, "date": 0}
        else:
            message = dict(stored)
        query_id = f"{abs(chat_id) % 10**9}{next(self._ids):010d}"
        self._callbacks[query_id] = chat_id
        query = {
            "id": query_id,
            "from": user or self._default_user(chat),
            "message": message,
            "chat_instance": str(-(abs(chat_id) * 7919 + 1_000_003)),
            "data": data,
        }
        return self._update("callback_query", query)

    def contact_update(
        self,
        chat_id: int,
        phone_number: str = "+31612345678",
        *,
        user: JSON | None = None,
        own: bool = True,
    ) -> JSON:
        """A shared contact; ``own=True`` is the user's own number (with user_id)."""
        chat = self._chat(chat_id, user=user)
        sender = user or self._default_user(chat)
        contact: JSON = {"phone_number": phone_number}
        if own:
            contact["first_name"] = sender["first_name"]
            if "last_name" in sender:
                contact["last_name"] = sender["last_name"]
            contact["user_id"] = sender["id"]
        else:
            contact["first_name"] = "Sam"
        return self._update("message", self._user_message(chat_id, user, contact=contact))

    def location_update(
        self,
        chat_id: int,
        latitude: float = 52.3676,
        longitude: float = 4.9041,
        *,
        user: JSON | None = None,
    ) -> JSON:
        """A shared location (default: Amsterdam)."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._update("message", self._user_message(chat_id, user, location=location))

    def sticker_update(self, chat_id: int, emoji: str = "👍", *, user: JSON | None = None) -> JSON:
        """A regular sticker."""
        file_id, unique = self._new_file("stickers", "webp", 2048)
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "StandinStickers",
            "file_size": 2048,
        }
        return self._update("message", self._user_message(chat_id, user, sticker=sticker))

    def photo_update(
        self, chat_id: int, caption: str | None = None, *, user: JSON | None = None
    ) -> JSON:
        """A photo in three sizes, optionally with a caption."""
        sizes = []
        for width, height, size in ((90, 67, 1200), (320, 240, 15000), (1280, 960, 98000)):
            file_id, unique = self._new_file("photos", "jpg", size)
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique,
                    "file_size": size,
                    "width": width,
                    "height": height,
                }
            )
        content: JSON = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._update("message", self._user_message(chat_id, user, **content))

    def voice_update(self, chat_id: int, duration: int = 3, *, user: JSON | None = None) -> JSON:
        """A voice note."""
        size = 1600 * duration
        file_id, unique = self._new_file("voice", "oga", size)
        voice = {
            "file_id": file_id,
            "file_unique_id": unique,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": size,
        }
        return self._update("message", self._user_message(chat_id, user, voice=voice))

    def group_text_update(self, group_chat_id: int, text: str, *, user: JSON | None = None) -> JSON:
        """A text message in a group (``-100...`` ids are supergroups)."""
        if group_chat_id >= 0:
            raise ValueError("group chat ids are negative")
        return self._update("message", self._user_message(group_chat_id, user, text=text))

    def my_chat_member_update(
        self,
        chat_id: int,
        chat_type: str = "private",
        new_status: str = "kicked",
        *,
        old_status: str | None = None,
        user: JSON | None = None,
    ) -> JSON:
        """The bot's own membership changed (``kicked`` in private = blocked by the user)."""
        chat = self._chat(chat_id, chat_type, user)
        if old_status is None:
            if new_status in ("kicked", "left"):
                old_status = "member"
            else:
                old_status = "kicked" if chat_type == "private" else "left"
        chat.bot_status = new_status if new_status in ("kicked", "left") else "member"
        bot = self.me
        bot_user = {key: bot[key] for key in ("id", "is_bot", "first_name", "username")}
        member = {
            "chat": chat.info,
            "from": user or self._default_user(chat),
            "date": int(time.time()),
            "old_chat_member": _chat_member(bot_user, old_status),
            "new_chat_member": _chat_member(bot_user, new_status),
        }
        return self._update("my_chat_member", member)

    def edited_message_update(
        self,
        chat_id: int,
        text: str,
        *,
        message_id: int | None = None,
        user: JSON | None = None,
    ) -> JSON:
        """The user edited a text message (default: their latest one)."""
        chat = self._chat(chat_id, user=user)
        sender = user or self._default_user(chat)
        if message_id is None:
            message_id = next(
                (
                    m["message_id"]
                    for m in reversed(chat.messages.values())
                    if m.get("from", {}).get("id") == sender["id"] and "text" in m
                ),
                None,
            )
        stored = chat.messages.get(message_id) if message_id is not None else None
        if stored is None:
            raise ValueError(f"chat {chat_id} has no such user message to edit")
        stored["text"] = text
        stored["edit_date"] = int(time.time())
        entities = _bot_command_entities(text)
        if entities:
            stored["entities"] = entities
        else:
            stored.pop("entities", None)
        return self._update("edited_message", dict(stored))

    def channel_post_update(
        self, channel_chat_id: int, text: str, *, username: str | None = None
    ) -> JSON:
        """A post in a channel the bot is in (no ``from``; ``sender_chat`` is the channel)."""
        chat = self._chat(channel_chat_id, "channel")
        if username is not None:
            chat.info["username"] = username
            self._usernames[username.lower()] = channel_chat_id
        message_id = self._new_message_id(chat)
        message = {
            "message_id": message_id,
            "sender_chat": chat.info,
            "chat": chat.info,
            "date": int(time.time()),
            "text": text,
        }
        self._store(chat, message)
        return self._update("channel_post", dict(message))
