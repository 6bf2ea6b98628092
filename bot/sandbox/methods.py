"""The Bot API methods the sandbox simulates, with Telegram's rules and error texts."""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.sandbox import validation
from bot.sandbox.errors import (
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    WEBHOOK_CONFLICT,
    ApiError,
    bad_request,
    forbidden,
)
from bot.sandbox.files import DOWNLOAD_LIMIT, PHOTO_LIMIT, UPLOAD_LIMIT, StoredFile, image_size
from bot.sandbox.markup import FormatError, FormattedText, format_text
from bot.sandbox.models import CallbackAnswer, ChatMessage, MessageEdit
from bot.sandbox.state import ChatState, CommandScopeKey, SimBot, WebhookConfig
from bot.sandbox.validation import InlineKeyboard, Upload

if TYPE_CHECKING:
    from bot.sandbox.server import BotApiServer

Params = dict[str, Any]
Handler = Callable[[SimBot, Params], Awaitable[Any]]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_TEXT_LIMIT = 200
CALLBACK_QUERY_TTL = 15.0
DELETE_WINDOW = 48 * 3600
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_EDIT_METHODS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})


def _formatted(text: str, parse_mode: str | None, entities: Any) -> FormattedText:
    try:
        return format_text(text, parse_mode, entities)
    except FormatError as exc:
        raise bad_request(str(exc)) from None


class BotApiMethods:
    """Implements each simulated method against the server's state."""

    def __init__(self, server: BotApiServer) -> None:
        self.server = server
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "editMessageCaption": self.edit_message_caption,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "getFile": self.get_file,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": self.set_my_description,
            "getMyDescription": self.get_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyShortDescription": self.get_my_short_description,
            "sendChatAction": self.send_chat_action,
            "getChat": self.get_chat,
            "close": self.close,
            "logOut": self.log_out,
        }

    # ------------------------------------------------------------ helpers

    def _now(self) -> int:
        return int(self.server.now())

    def _chat(self, bot: SimBot, chat_id: Any) -> ChatState:
        """The chat ``chat_id`` names, if this bot can see it."""
        chat = self.server.find_chat(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        state = bot.chat_state(chat)
        if not chat.is_group and not state.started:
            raise bad_request("chat not found")
        return state

    def _writable_chat(self, bot: SimBot, chat_id: Any) -> ChatState:
        """The chat, if the bot may send to it now (403 as Telegram otherwise)."""
        chat = self.server.find_chat(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        state = bot.chat_state(chat)
        if not chat.is_group:
            if state.blocked:
                raise forbidden("bot was blocked by the user")
            if not state.started:
                raise forbidden("bot can't initiate conversation with a user")
        return state

    def _flood(self, bot: SimBot, state: ChatState) -> None:
        try:
            self.server.flood.acquire(
                self.server.limits, bot.id, state.chat.id, is_group=state.chat.is_group
            )
        except ApiError:
            self.server.stats.too_many_requests += 1
            raise

    def _store(self, bot: SimBot, state: ChatState, message: ChatMessage) -> ChatMessage:
        state.messages.append(message)
        self.server.record_bot_message(bot, state, message)
        return message

    def _reply_to(self, state: ChatState, params: Params) -> int | None:
        reply = params.get("reply_parameters")
        if not reply:
            return None
        target = state.find(int(reply["message_id"]))
        if target is None or target.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return target.message_id

    @staticmethod
    def _keyboard(params: Params) -> InlineKeyboard | None:
        return validation.inline_keyboard(params.get("reply_markup"))

    def _new_message(
        self, bot: SimBot, state: ChatState, params: Params, **content: Any
    ) -> ChatMessage:
        keyboard = self._keyboard(params)
        reply_to = self._reply_to(state, params)
        self._flood(bot, state)
        return ChatMessage(
            message_id=state.take_message_id(),
            chat=state.chat,
            sender=bot.user,
            from_bot=True,
            date=self._now(),
            reply_markup=params.get("reply_markup"),
            buttons=keyboard.rows if keyboard else (),
            reply_to_message_id=reply_to,
            **content,
        )

    def _caption(self, params: Params) -> FormattedText | None:
        caption = params.get("caption")
        if caption is None:
            return None
        formatted = _formatted(caption, params.get("parse_mode"), params.get("caption_entities"))
        if formatted.utf16_length > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        return formatted if formatted.text else None

    def _editable(self, bot: SimBot, params: Params) -> tuple[ChatState, ChatMessage]:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not simulated by the RCM sandbox")
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        if "message_id" not in params:
            raise bad_request("message identifier is not specified")
        state = self._chat(bot, params["chat_id"])
        message = state.find(params["message_id"])
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot or message.sender.id != bot.id:
            raise bad_request("message can't be edited")
        return state, message

    def _apply_edit(
        self,
        bot: SimBot,
        state: ChatState,
        message: ChatMessage,
        *,
        text: FormattedText | None,
        caption: FormattedText | None,
        params: Params,
    ) -> Any:
        keyboard = self._keyboard(params)
        markup = params.get("reply_markup")
        new_markup = markup if keyboard is not None else None
        old_markup = message.reply_markup if message.buttons else None
        new_text = text.text if text is not None else message.text
        new_caption = (caption.text or None) if caption is not None else message.caption
        new_entities = message.entities
        if text is not None:
            new_entities = text.entities
        elif caption is not None:
            new_entities = caption.entities
        if (
            new_text == message.text
            and new_caption == message.caption
            and new_entities == message.entities
            and new_markup == old_markup
        ):
            raise bad_request(NOT_MODIFIED)
        self._flood(bot, state)
        message.edits.append(
            MessageEdit(
                date=message.edit_date or message.date,
                text=message.text,
                caption=message.caption,
                entities=message.entities,
                buttons=message.buttons,
            )
        )
        message.text = new_text
        message.caption = new_caption
        message.entities = new_entities
        message.reply_markup = new_markup
        message.buttons = keyboard.rows if keyboard else ()
        message.edit_date = self._now()
        self.server.record_edit(bot, state, message)
        return message.to_api()

    def _upload(self, value: Upload | str, *, kind: str) -> StoredFile:
        if isinstance(value, Upload):
            if len(value.data) > UPLOAD_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            if not value.data:
                raise bad_request("file must be non-empty")
            if kind == "photo":
                size = image_size(value.data)
                if size is None:
                    raise bad_request("IMAGE_PROCESS_FAILED")
                if len(value.data) > PHOTO_LIMIT:
                    raise bad_request("PHOTO_SAVE_FILE_INVALID")
                width, height = size
                if width + height > 10000 or max(width, height) > 20 * min(width, height):
                    raise bad_request("PHOTO_INVALID_DIMENSIONS")
                return self.server.files.add(
                    value.data,
                    kind="photo",
                    file_name=None,
                    mime_type="image/jpeg",
                    width=width,
                    height=height,
                )
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.file_name)[0] or "application/octet-stream"
            return self.server.files.add(
                value.data, kind="document", file_name=value.file_name, mime_type=mime
            )
        if urlsplit(value).scheme in ("http", "https"):
            # The sandbox has no internet access and does not pretend to fetch URLs.
            raise bad_request("failed to get HTTP URL content (the RCM sandbox fetches no URLs)")
        stored = self.server.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request("type of file mismatch")
        return stored

    # ------------------------------------------------------------ bot and updates

    async def get_me(self, bot: SimBot, params: Params) -> Any:
        return {
            **bot.user.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, bot: SimBot, params: Params) -> Any:
        if bot.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        limit = params.get("limit", 100)
        if not 1 <= limit <= 100:
            limit = 100  # Telegram falls back to the default rather than failing
        bot.set_allowed_updates(params.get("allowed_updates"))
        return await bot.poll(params.get("offset", 0), limit, float(params.get("timeout", 0)))

    async def set_webhook(self, bot: SimBot, params: Params) -> Any:
        url = params["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("invalid webhook URL specified")
        if not self.server.is_loopback_host(parts.hostname):
            raise bad_request("bad webhook: the RCM sandbox delivers only to loopback addresses")
        secret = validation.secret_token(params.get("secret_token"))
        max_connections = params.get("max_connections", 40)
        if not 1 <= max_connections <= 100:
            max_connections = 40
        if params.get("drop_pending_updates"):
            bot.drop_pending()
        bot.set_allowed_updates(params.get("allowed_updates"))
        bot.webhook = WebhookConfig(url=url, secret_token=secret, max_connections=max_connections)
        bot.notify()  # a running getUpdates ends with "terminated by setWebhook request"
        self.server.start_webhook_sender(bot)
        return True

    async def delete_webhook(self, bot: SimBot, params: Params) -> Any:
        if params.get("drop_pending_updates"):
            bot.drop_pending()
        bot.webhook = None
        bot.notify()
        return True

    async def get_webhook_info(self, bot: SimBot, params: Params) -> Any:
        hook = bot.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
            if bot.allowed_updates_set is not None:
                info["allowed_updates"] = bot.allowed_updates_set
        return info

    async def close(self, bot: SimBot, params: Params) -> Any:
        return True

    async def log_out(self, bot: SimBot, params: Params) -> Any:
        # After logOut Telegram refuses the token on the cloud server for a while.
        bot.logged_out = True
        return True

    # ------------------------------------------------------------ messages

    async def send_message(self, bot: SimBot, params: Params) -> Any:
        state = self._writable_chat(bot, params["chat_id"])
        formatted = _formatted(params["text"], params.get("parse_mode"), params.get("entities"))
        if not formatted.text:
            raise bad_request("message text is empty")
        if formatted.utf16_length > TEXT_LIMIT:
            raise bad_request("message is too long")
        message = self._new_message(
            bot, state, params, text=formatted.text, entities=formatted.entities
        )
        return self._store(bot, state, message).to_api()

    async def send_document(self, bot: SimBot, params: Params) -> Any:
        state = self._writable_chat(bot, params["chat_id"])
        caption = self._caption(params)
        stored = self._upload(params["document"], kind="document")
        message = self._new_message(
            bot,
            state,
            params,
            document=stored,
            caption=caption.text if caption else None,
            entities=caption.entities if caption else (),
        )
        return self._store(bot, state, message).to_api()

    async def send_photo(self, bot: SimBot, params: Params) -> Any:
        state = self._writable_chat(bot, params["chat_id"])
        caption = self._caption(params)
        stored = self._upload(params["photo"], kind="photo")
        message = self._new_message(
            bot,
            state,
            params,
            photo=stored,
            caption=caption.text if caption else None,
            entities=caption.entities if caption else (),
        )
        return self._store(bot, state, message).to_api()

    async def edit_message_text(self, bot: SimBot, params: Params) -> Any:
        state, message = self._editable(bot, params)
        formatted = _formatted(params["text"], params.get("parse_mode"), params.get("entities"))
        if not formatted.text:
            raise bad_request("message text is empty")
        if formatted.utf16_length > TEXT_LIMIT:
            raise bad_request("message is too long")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        return self._apply_edit(bot, state, message, text=formatted, caption=None, params=params)

    async def edit_message_caption(self, bot: SimBot, params: Params) -> Any:
        state, message = self._editable(bot, params)
        if message.document is None and message.photo is None:
            raise bad_request("there is no caption in the message to edit")
        # an absent or empty caption removes the caption, as in Telegram
        caption = self._caption(params) or FormattedText("", ())
        return self._apply_edit(bot, state, message, text=None, caption=caption, params=params)

    async def edit_message_reply_markup(self, bot: SimBot, params: Params) -> Any:
        state, message = self._editable(bot, params)
        return self._apply_edit(bot, state, message, text=None, caption=None, params=params)

    async def delete_message(self, bot: SimBot, params: Params) -> Any:
        state = self._chat(bot, params["chat_id"])
        message = state.find(params["message_id"])
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        own = message.from_bot and message.sender.id == bot.id
        if not own and state.chat.is_group:
            raise bad_request("message can't be deleted")
        if self.server.now() - message.date > DELETE_WINDOW:
            raise bad_request("message can't be deleted for everyone")
        message.deleted = True
        self.server.record_delete(bot, state, message)
        return True

    async def answer_callback_query(self, bot: SimBot, params: Params) -> Any:
        query = bot.callback_queries.get(params["callback_query_id"])
        if query is None or query.answered or self.server.now() - query.date > CALLBACK_QUERY_TTL:
            raise bad_request(QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None:
            validation.limit_length(text, CALLBACK_TEXT_LIMIT, "MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = CallbackAnswer(
            text=text,
            show_alert=bool(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=int(params.get("cache_time", 0)),
        )
        self.server.notify_activity()
        return True

    async def send_chat_action(self, bot: SimBot, params: Params) -> Any:
        state = self._writable_chat(bot, params["chat_id"])
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        state.actions.append(params["action"])
        return True

    async def get_chat(self, bot: SimBot, params: Params) -> Any:
        state = self._chat(bot, params["chat_id"])
        info = {
            **state.chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        return info

    # ------------------------------------------------------------ files

    async def get_file(self, bot: SimBot, params: Params) -> Any:
        stored = self.server.files.get(params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return stored.file_api()

    # ------------------------------------------------------------ commands and profile

    def _scope(self, params: Params) -> CommandScopeKey:
        scope = params.get("scope") or {"type": "default"}
        kind = scope["type"]
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self.server.find_chat(scope["chat_id"])
            if chat is None:
                raise bad_request("chat not found")
            user_id = None
            if kind == "chat_member":
                user_id = int(scope["user_id"])
                if not chat.is_group:
                    raise bad_request("can't use chat_member scope in private chats")
            return CommandScopeKey(kind, chat.id, user_id)
        return CommandScopeKey(kind)

    async def set_my_commands(self, bot: SimBot, params: Params) -> Any:
        commands = validation.bot_commands(params["commands"])
        key = (self._scope(params), validation.language_code(params.get("language_code")))
        if commands:
            bot.commands[key] = commands
        else:
            bot.commands.pop(key, None)
        return True

    async def get_my_commands(self, bot: SimBot, params: Params) -> Any:
        key = (self._scope(params), validation.language_code(params.get("language_code")))
        return [c.to_api() for c in bot.commands.get(key, ())]

    async def delete_my_commands(self, bot: SimBot, params: Params) -> Any:
        key = (self._scope(params), validation.language_code(params.get("language_code")))
        bot.commands.pop(key, None)
        return True

    async def set_my_description(self, bot: SimBot, params: Params) -> Any:
        return self._set_text(bot.descriptions, params, "description", 512)

    async def get_my_description(self, bot: SimBot, params: Params) -> Any:
        lang = validation.language_code(params.get("language_code"))
        return {"description": bot.descriptions.get(lang, "")}

    async def set_my_short_description(self, bot: SimBot, params: Params) -> Any:
        return self._set_text(bot.short_descriptions, params, "short_description", 120)

    async def get_my_short_description(self, bot: SimBot, params: Params) -> Any:
        lang = validation.language_code(params.get("language_code"))
        return {"short_description": bot.short_descriptions.get(lang, "")}

    @staticmethod
    def _set_text(store: dict[str, str], params: Params, name: str, limit: int) -> bool:
        lang = validation.language_code(params.get("language_code"))
        value = params.get(name, "")
        validation.limit_length(value, limit, f"{name.replace('_', ' ')} is too long")
        if value:
            store[lang] = value
        else:
            store.pop(lang, None)
        return True


def counts_as_send(method: str) -> bool:
    """Whether a call is an outgoing message for flood accounting and counters."""
    return method in ("sendMessage", "sendDocument", "sendPhoto") or method in _EDIT_METHODS
