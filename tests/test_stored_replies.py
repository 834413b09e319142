"""Replies stored as JSON with a processed update come back equal, keyboards and tap answers included."""

from __future__ import annotations

from quizkit._stored_replies import decode_replies, encode_replies
from quizkit.model import CallbackAnswer, InlineButton, Reply


def test_stored_replies_round_trip():
    replies = [
        Reply(42, "<b>Domanda 1</b> — scegli", keyboard=((InlineButton("Roma", "c:1:0"), InlineButton("Milano", "c:1:1")),)),
        CallbackAnswer(42, "query-7", "Ricevuta!", show_alert=True),
        CallbackAnswer(43, "query-8"),
        Reply(44, "plain", parse_mode="HTML"),
    ]

    assert decode_replies(encode_replies(replies)) == replies


def test_stored_replies_empty_is_null():
    assert encode_replies([]) is None
    assert decode_replies(None) == []
