"""Replies kept with a processed update as JSON, so a redelivery after a crash can send them again."""

from __future__ import annotations

from quizkit import _json
from quizkit.model import CallbackAnswer, InlineButton, Outgoing, Reply


def encode_replies(replies: list[Outgoing]) -> str | None:
    """Return `replies` as JSON text for the processed_updates table, or None when there are none."""
    if not replies:
        return None
    return _json.dumps([_encode(reply) for reply in replies]).decode("utf-8")


def decode_replies(text: str | None) -> list[Outgoing]:
    """Return the replies that `encode_replies` wrote; None gives an empty list."""
    if text is None:
        return []
    return [_decode(record) for record in _json.loads(text)]


def _encode(reply: Outgoing) -> dict:
    if isinstance(reply, CallbackAnswer):
        return {"callback": True, "chat_id": reply.chat_id, "callback_query_id": reply.callback_query_id,
                "text": reply.text, "show_alert": reply.show_alert}
    keyboard = [[[button.text, button.data] for button in row] for row in reply.keyboard]
    return {"chat_id": reply.chat_id, "text": reply.text, "parse_mode": reply.parse_mode, "keyboard": keyboard}


def _decode(record: dict) -> Outgoing:
    if record.get("callback"):
        return CallbackAnswer(record["chat_id"], record["callback_query_id"], record["text"], record["show_alert"])
    keyboard = tuple(tuple(InlineButton(text, data) for text, data in row) for row in record["keyboard"])
    return Reply(record["chat_id"], record["text"], record["parse_mode"], keyboard)
