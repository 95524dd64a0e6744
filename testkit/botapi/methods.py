"""The Bot API methods the stand-in answers (``_m_<method>``), with Telegram's checks and
its ``Bad Request: ...`` answers."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from testkit.botapi.shapes import (
    _CHAT_ACTIONS,
    _COMMAND_RE,
    _SECRET_RE,
    JSON,
    MAX_DELETE_IDS,
    MAX_TEXT_LENGTH,
    _as_int,
    _bad,
    _Chat,
    _check_reply_markup,
    _deletable,
    parse_html,
)


class Methods:
    """Part of :class:`~testkit.botapi.server.StandinBotAPI`: one entry function per method."""

    def _m_getMe(self, params: JSON, bot: JSON) -> JSON:
        return bot

    def _text_and_entities(self, params: JSON, key: str = "text") -> tuple[str, list[JSON]]:
        text = params.get(key)
        if text is None or text == "":
            raise _bad("message text is empty")
        if not isinstance(text, str):
            text = str(text)
        parse_mode = params.get("parse_mode")
        entities: list[JSON] = []
        if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
            text, entities = parse_html(text)
        elif params.get("entities"):
            entities = params["entities"]
            if isinstance(entities, str):
                entities = json.loads(entities)
        if not text.strip():
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        return text, entities

    def _m_sendMessage(self, params: JSON, bot: JSON) -> JSON:
        chat = self._chat_for_bot(params.get("chat_id"))
        text, entities = self._text_and_entities(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        reply_to = None
        reply = params.get("reply_parameters")
        if isinstance(reply, str):
            reply = json.loads(reply)
        if isinstance(reply, dict):
            reply_to = chat.messages.get(_as_int(reply.get("message_id"), "message_id"))
            if reply_to is None and not reply.get("allow_sending_without_reply"):
                raise _bad("message to be replied not found")
        message_id = self._new_message_id(chat)
        message: JSON = {
            "message_id": message_id,
            "from": {key: bot[key] for key in ("id", "is_bot", "first_name", "username")},
            "chat": chat.info,
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = {
                k: v for k, v in reply_to.items() if k != "reply_to_message"
            }
        message["text"] = text
        if entities:
            message["entities"] = entities
        if params.get("protect_content"):
            message["has_protected_content"] = True
        if markup is not None:
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
            elif "keyboard" in markup:
                chat.keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.keyboard = None
        self._store(chat, message)
        chat.sent_texts.append(text)
        return message

    def _editable(self, params: JSON, bot: JSON) -> tuple[_Chat, JSON] | None:
        """The stored bot message an edit targets; None for inline messages."""
        if params.get("inline_message_id"):
            return None
        chat = self._chat_for_bot(params.get("chat_id"))
        if params.get("message_id") is None:
            raise _bad("message identifier is not specified")
        message = chat.messages.get(_as_int(params.get("message_id"), "message_id"))
        if message is None:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != bot["id"]:
            raise _bad("message can't be edited")
        return chat, message

    def _m_editMessageText(self, params: JSON, bot: JSON) -> Any:
        text, entities = self._text_and_entities(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        target = self._editable(params, bot)
        if target is None:
            return True
        _, message = target
        if (
            message.get("text") == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        if entities:
            message["entities"] = entities
        else:
            message.pop("entities", None)
        self._set_inline_markup(message, markup)
        message["edit_date"] = int(time.time())
        return dict(message)

    def _m_editMessageReplyMarkup(self, params: JSON, bot: JSON) -> Any:
        markup = _check_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        target = self._editable(params, bot)
        if target is None:
            return True
        _, message = target
        if message.get("reply_markup") == markup:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._set_inline_markup(message, markup)
        message["edit_date"] = int(time.time())
        return dict(message)

    @staticmethod
    def _set_inline_markup(message: JSON, markup: JSON | None) -> None:
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _m_answerCallbackQuery(self, params: JSON, bot: JSON) -> bool:
        query_id = params.get("callback_query_id")
        if not query_id:
            raise _bad("query_id is empty")
        if self._callbacks.pop(str(query_id), None) is None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        return True

    def _m_deleteMessage(self, params: JSON, bot: JSON) -> bool:
        chat = self._chat_for_bot(params.get("chat_id"))
        if params.get("message_id") is None:
            raise _bad("message identifier is not specified")
        message_id = _as_int(params.get("message_id"), "message_id")
        message = chat.messages.get(message_id)
        if message is None:
            raise _bad("message to delete not found")
        if not _deletable(message):
            raise _bad("message can't be deleted for everyone")
        del chat.messages[message_id]
        chat.deleted.add(message_id)
        return True

    def _m_deleteMessages(self, params: JSON, bot: JSON) -> bool:
        chat = self._chat_for_bot(params.get("chat_id"))
        ids = params.get("message_ids")
        if isinstance(ids, str):
            ids = json.loads(ids)
        if not isinstance(ids, list) or not ids:
            raise _bad("message identifiers are not specified")
        if len(ids) > MAX_DELETE_IDS:
            raise _bad("too many messages to delete")
        for raw in ids:
            message_id = _as_int(raw, "message_ids")
            message = chat.messages.get(message_id)
            if message is not None and _deletable(message):  # others are skipped, silently
                del chat.messages[message_id]
                chat.deleted.add(message_id)
        return True

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        if isinstance(scope, str):
            scope = json.loads(scope)
        scope = scope or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _m_setMyCommands(self, params: JSON, bot: JSON) -> bool:
        commands = params.get("commands")
        if isinstance(commands, str):
            commands = json.loads(commands)
        if not isinstance(commands, list):
            raise _bad("commands must be an array")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise _bad("invalid language code specified")
        key = self._commands_key(params.get("scope"), language)
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _m_getMyCommands(self, params: JSON, bot: JSON) -> list[JSON]:
        return self.commands(params.get("scope"), params.get("language_code") or "")

    def _m_deleteMyCommands(self, params: JSON, bot: JSON) -> bool:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands.pop(key, None)
        return True

    def _m_leaveChat(self, params: JSON, bot: JSON) -> bool:
        chat = self._chat_for_bot(params.get("chat_id"))
        if chat.info["type"] == "private":
            raise _bad("chat member status can't be changed in private chats")
        chat.bot_status = "left"
        return True

    def _m_sendChatAction(self, params: JSON, bot: JSON) -> bool:
        self._chat_for_bot(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _m_setWebhook(self, params: JSON, bot: JSON) -> tuple[bool, str]:
        url = params.get("url") or ""
        if not url:
            self.webhook = {}
            return True, "Webhook was deleted"
        if not str(url).startswith(("https://", "http://")):
            raise _bad("invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._queue.clear()
        webhook: JSON = {"url": url, "max_connections": int(params.get("max_connections") or 40)}
        if secret is not None:
            webhook["secret_token"] = secret
        if params.get("ip_address"):
            webhook["ip_address"] = params["ip_address"]
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
            webhook["allowed_updates"] = sorted(self._allowed)
        self.webhook = webhook
        self._wake_pollers("conflict")
        return True, "Webhook was set"

    def _m_deleteWebhook(self, params: JSON, bot: JSON) -> tuple[bool, str]:
        if params.get("drop_pending_updates"):
            self._queue.clear()
        if not self.webhook:
            return True, "Webhook is already deleted"
        self.webhook = {}
        return True, "Webhook was deleted"

    def _m_getWebhookInfo(self, params: JSON, bot: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        for key in ("max_connections", "ip_address", "allowed_updates"):
            if key in self.webhook:
                info[key] = self.webhook[key]
        return info

    def _m_getFile(self, params: JSON, bot: JSON) -> JSON:
        file_id = params.get("file_id")
        info = self._files.get(str(file_id))
        if info is None:
            raise _bad("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": info["file_unique_id"],
            "file_size": info["file_size"],
            "file_path": info["file_path"],
        }

    def _m_close(self, params: JSON, bot: JSON) -> bool:
        return True

    def _m_logOut(self, params: JSON, bot: JSON) -> bool:
        return True
