"""The Bot API methods that quizkit uses, over the emulator's in-memory state.

Every function here runs with `World.lock` held and returns the call's `result` (or a `Described`
result when Telegram adds a description), or raises ApiError with Telegram's code and text.
getUpdates is asynchronous and lives in the service, which also starts and stops webhook
delivery after setWebhook and deleteWebhook.
"""

from __future__ import annotations

import copy
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from quizkit.emulator._errors import ApiError, bad_request, blocked_by_user, too_many_requests
from quizkit.emulator._flood import FloodLimiter
from quizkit.emulator._html import HtmlParseError, parse_html
from quizkit.emulator._params import Params
from quizkit.emulator._state import Bot, Chat, StoredMessage, Webhook, World
from quizkit.emulator.updates import chat_member, photo_sizes

# NOTE: lengths are counted in Unicode code points after entity parsing. Telegram also adds entities
# for URLs, mentions and hashtags in plain text, and the emulator does not.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
DEFAULT_MAX_CONNECTIONS = 40
# Bot API reference: callback_data is 1-64 bytes, and answerCallbackQuery's text 0-200 characters.
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
# NOTE: the reference does not state a keyboard size; 100 buttons is the limit that bot developers
# report from "reply markup is too long" errors, and the per-row limit they report is not checked.
MAX_INLINE_BUTTONS = 100
# The optional fields of an InlineKeyboardButton, of which a button must use exactly one.
BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
)  # fmt: skip
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Described:
    """A result that Telegram returns with a `description`, such as setWebhook's "Webhook was set"."""

    result: Any
    description: str


@dataclass
class CallContext:
    """One Bot API call: the bot, its parameters and where the call came from."""

    world: World
    bot: Bot
    params: Params
    source: str  # "http", or "webhook_response" for a method in a webhook response body
    flood: FloodLimiter | None = None


Method = Callable[[CallContext], Any]


def get_me(ctx: CallContext) -> dict[str, Any]:
    return dict(ctx.bot.user)


def send_message(ctx: CallContext) -> dict[str, Any]:
    chat = _target_chat(ctx, sending=True)
    _check_not_blocked(chat)
    text, entities = _formatted(ctx.params, "text", "entities", empty_error="message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    reply_markup = _reply_markup(ctx.params)
    _admit(ctx, chat)

    message = _new_message(ctx.bot, chat)
    message["text"] = text
    _add_if(message, entities=entities, reply_markup=reply_markup)
    ctx.world.store_message(chat, message)
    return copy.deepcopy(message)


def send_photo(ctx: CallContext) -> dict[str, Any]:
    chat = _target_chat(ctx, sending=True)
    _check_not_blocked(chat)
    upload = ctx.params.file("photo")
    reference = None if upload else ctx.params.string("photo")
    if upload is None and not reference:
        raise bad_request("there is no photo in the request")

    caption, caption_entities = "", []
    if ctx.params.has("caption"):
        caption, caption_entities = _formatted(ctx.params, "caption", "caption_entities", empty_error=None)
    if len(caption) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    reply_markup = _reply_markup(ctx.params)
    _admit(ctx, chat)

    message = _new_message(ctx.bot, chat)
    message["photo"] = photo_sizes(f"{abs(chat.id)}-{message['message_id']}")
    _add_if(message, caption=caption, caption_entities=caption_entities, reply_markup=reply_markup)
    ctx.world.store_message(chat, message)
    return copy.deepcopy(message)


def edit_message_text(ctx: CallContext) -> dict[str, Any]:
    if ctx.params.has("inline_message_id"):
        # NOTE: inline messages are not emulated, because quizkit edits only messages it sent to chats.
        raise bad_request("inline_message_id is not supported by the emulator; pass chat_id and message_id")
    chat = _target_chat(ctx, sending=False)
    _check_not_blocked(chat)
    stored = _stored_message(ctx, chat, "message to edit not found")
    if "text" not in stored.message:
        raise bad_request("there is no text in the message to edit")

    text, entities = _formatted(ctx.params, "text", "entities", empty_error="message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    reply_markup = _reply_markup(ctx.params)

    current = stored.message
    unchanged = (
        text == current["text"]
        and entities == current.get("entities", [])
        and reply_markup == current.get("reply_markup")
    )
    if unchanged:
        raise bad_request(NOT_MODIFIED)

    message = copy.deepcopy(current)
    for key in ("entities", "reply_markup"):
        message.pop(key, None)
    message.update(text=text, edit_date=int(time.time()))
    _add_if(message, entities=entities, reply_markup=reply_markup)
    stored.message = message
    stored.versions.append(copy.deepcopy(message))
    return copy.deepcopy(message)


def delete_message(ctx: CallContext) -> bool:
    chat = _target_chat(ctx, sending=False)
    stored = _stored_message(ctx, chat, "message to delete not found")
    stored.deleted = True
    return True


def answer_callback_query(ctx: CallContext) -> bool:
    """Answer a callback query once; a second answer or an unknown id fails as on Telegram."""
    query_id = ctx.params.string("callback_query_id")
    if ctx.bot.callback_queries.get(query_id or "") is not False:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = ctx.params.string("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    ctx.bot.callback_queries[query_id] = True
    ctx.bot.callback_answers[query_id] = {
        "text": text,
        "show_alert": ctx.params.boolean("show_alert"),
        "source": ctx.source,
    }
    return True


def get_chat(ctx: CallContext) -> dict[str, Any]:
    chat = _target_chat(ctx, sending=False)
    gift_types = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels")
    return {
        **chat.data,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {name: False for name in gift_types},
    }


def get_chat_member(ctx: CallContext) -> dict[str, Any]:
    chat = _target_chat(ctx, sending=False)
    user_id = ctx.params.integer("user_id")
    if user_id is None:
        raise bad_request("user_id is empty")

    bot_user = ctx.bot.user
    if user_id == bot_user["id"]:
        if chat.type == "private":
            return {"status": "member", "user": ctx.bot.sender}
        if not chat.bot_is_admin:
            return {"status": "left", "user": ctx.bot.sender}
        return chat_member(ctx.bot.sender, "administrator", chat.admin_rights)

    user = _known_user(ctx.bot, user_id)
    if user is None:
        raise bad_request("user not found")
    if chat.type == "private":
        status = "member" if chat.id == user_id else "left"
        return {"status": status, "user": user}
    # NOTE: channel subscribers are not modelled, so every user is reported as not a member.
    return {"status": "left", "user": user}


def set_webhook(ctx: CallContext) -> Described:
    params, bot = ctx.params, ctx.bot
    url = params.string("url", "") or ""
    if not url:
        return delete_webhook(ctx)
    _check_webhook_url(url)

    secret_token = params.string("secret_token")
    if secret_token is not None:
        _check_secret_token(secret_token)
    max_connections = min(max(params.integer("max_connections", DEFAULT_MAX_CONNECTIONS) or 1, 1), 100)
    allowed_updates = read_allowed_updates(params)
    upload = params.file("certificate")
    certificate = upload is not None or params.has("certificate")
    certificate_pem = upload.data if upload is not None else None

    if params.boolean("drop_pending_updates"):
        bot.drop_pending()
    if allowed_updates is not None:
        bot.allowed_updates = allowed_updates or None

    webhook = bot.webhook
    settings = (url, secret_token, max_connections, certificate, certificate_pem)
    current = (webhook.url, webhook.secret_token, webhook.max_connections, webhook.has_custom_certificate,
               webhook.certificate_pem)
    if settings == current:
        return Described(True, "Webhook is already set")
    (webhook.url, webhook.secret_token, webhook.max_connections, webhook.has_custom_certificate,
     webhook.certificate_pem) = settings
    webhook.last_error_date = webhook.last_error_message = None
    return Described(True, "Webhook was set")


def delete_webhook(ctx: CallContext) -> Described:
    bot = ctx.bot
    if ctx.params.boolean("drop_pending_updates"):
        bot.drop_pending()
    if not bot.webhook.url:
        return Described(True, "Webhook is already deleted")
    bot.webhook = Webhook()
    return Described(True, "Webhook was deleted")


def get_webhook_info(ctx: CallContext) -> dict[str, Any]:
    bot, webhook = ctx.bot, ctx.bot.webhook
    info: dict[str, Any] = {
        "url": webhook.url,
        "has_custom_certificate": webhook.has_custom_certificate,
        "pending_update_count": len(bot.pending),
    }
    if webhook.url:
        info["max_connections"] = webhook.max_connections
    if webhook.last_error_date is not None:
        info["last_error_date"] = webhook.last_error_date
        info["last_error_message"] = webhook.last_error_message
    if bot.allowed_updates:
        info["allowed_updates"] = list(bot.allowed_updates)
    return info


def read_allowed_updates(params: Params) -> list[str] | None:
    """Return the allowed_updates list, or None when it is absent or no list of strings (Telegram ignores those)."""
    try:
        value = params.json("allowed_updates", error="invalid allowed_updates")
    except ApiError:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return [item.lower() for item in value]


def _check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("invalid webhook URL specified")
    if not _is_loopback(parts.hostname):
        raise bad_request(
            f"bad webhook: the emulator delivers updates only to loopback addresses "
            f"(127.0.0.0/8, ::1 or localhost), not to {parts.hostname!r}"
        )


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _check_secret_token(secret_token: str) -> None:
    if len(secret_token) > 256:
        raise bad_request("secret token is too long")
    if not _SECRET_TOKEN.match(secret_token):
        raise bad_request("secret token contains unallowed characters")


def _target_chat(ctx: CallContext, *, sending: bool) -> Chat:
    if not ctx.params.has("chat_id") or ctx.params.string("chat_id") == "":
        raise bad_request("chat_id is empty")
    try:
        chat_id = ctx.params.integer("chat_id")
    except ApiError:
        raise bad_request("chat not found") from None

    chat = ctx.bot.chats.get(chat_id)  # type: ignore[arg-type]
    if chat is None and ctx.world.open_private_chats and chat_id > 0:
        chat = ctx.bot.chats[chat_id] = Chat({"id": chat_id, "type": "private", "first_name": f"User {chat_id}"})
    if chat is None:
        raise bad_request("chat not found")
    may_post = chat.bot_is_admin and chat.admin_rights.get("can_post_messages", True)
    if sending and chat.type == "channel" and not may_post:
        raise bad_request("need administrator rights in the channel chat")
    return chat


def _check_not_blocked(chat: Chat) -> None:
    if chat.bot_blocked:
        raise blocked_by_user()


def _stored_message(ctx: CallContext, chat: Chat, missing_error: str) -> StoredMessage:
    message_id = ctx.params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    stored = chat.messages.get(message_id)
    if stored is None or stored.deleted:
        raise bad_request(missing_error)
    return stored


def _formatted(
    params: Params, text_name: str, entities_name: str, *, empty_error: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """Return the text of `text_name` after parse_mode, with its entities, as Telegram stores them."""
    source = params.string(text_name) or ""
    parse_mode = (params.string("parse_mode") or "").lower()
    if parse_mode == "html":
        try:
            text, entities = parse_html(source)
        except HtmlParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    elif parse_mode in ("", "markdown", "markdownv2"):
        # NOTE: Markdown is not parsed, so its text is stored with the markup and errors pass unnoticed.
        text = source
        entities = params.json(entities_name, error=f"can't parse {entities_name} JSON object") or []
    else:
        raise bad_request("unsupported parse_mode")

    if empty_error is not None and not text.strip():
        raise bad_request(empty_error)
    return text, entities


def _reply_markup(params: Params) -> dict[str, Any] | None:
    markup = params.json("reply_markup", error="can't parse reply keyboard markup JSON object")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    # Sent messages show only inline keyboards; reply keyboards belong to the user's client.
    if "inline_keyboard" not in markup:
        return None
    _check_inline_keyboard(markup["inline_keyboard"])
    return markup


def _check_inline_keyboard(rows: Any) -> None:
    """Raise ApiError 400 for an inline keyboard that Telegram would reject.

    NOTE: two texts are the emulator's own: the one for a keyboard that is not an array of arrays, and
    the one for a button that is not an object. The others are the ones Telegram returns.
    """
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard: inline_keyboard must be an Array of Arrays of buttons")
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    for button in buttons:
        _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')

    # An empty callback_data counts as none, as on Telegram, so the button becomes a text button.
    actions = [name for name in BUTTON_ACTIONS if button.get(name) not in (None, "")]
    if not actions:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data is None:
        return
    if not isinstance(data, str):
        raise bad_request('can\'t parse inline keyboard button: Field "callback_data" must be of type String')
    if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")


def _admit(ctx: CallContext, chat: Chat) -> None:
    """Raise a 429 when flood limits are on and this new message would exceed them.

    NOTE: only sendMessage and sendPhoto count. Telegram also limits edits, at rates it does not publish.
    """
    # Replies in a webhook response body cost no API call, so they are not counted.
    if ctx.flood is None or ctx.source == "webhook_response":
        return
    retry_after = ctx.flood.admit(ctx.bot.token, chat.id, chat.type, time.monotonic())
    if retry_after is not None:
        ctx.bot.counters.flood_rejections += 1
        raise too_many_requests(retry_after)


def _new_message(bot: Bot, chat: Chat) -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": chat.next_message_id()}
    if chat.type == "channel":
        message["sender_chat"] = dict(chat.data)
    else:
        message["from"] = bot.sender
    message["chat"] = dict(chat.data)
    message["date"] = int(time.time())
    return message


def _add_if(message: dict[str, Any], **fields: Any) -> None:
    for name, value in fields.items():
        if value:
            message[name] = value


def _known_user(bot: Bot, user_id: int) -> dict[str, Any] | None:
    chat = bot.chats.get(user_id)
    if chat is not None and chat.user is not None:
        return dict(chat.user)
    return None


METHODS: dict[str, tuple[str, Method]] = {
    name.lower(): (name, function)
    for name, function in (
        ("getMe", get_me),
        ("sendMessage", send_message),
        ("sendPhoto", send_photo),
        ("editMessageText", edit_message_text),
        ("deleteMessage", delete_message),
        ("answerCallbackQuery", answer_callback_query),
        ("getChat", get_chat),
        ("getChatMember", get_chat_member),
        ("setWebhook", set_webhook),
        ("deleteWebhook", delete_webhook),
        ("getWebhookInfo", get_webhook_info),
    )
}
