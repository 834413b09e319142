"""Users who block the bot: recorded from my_chat_member or a 403, and sent nothing more."""

from __future__ import annotations

from dataclasses import replace

from quizkit.model import MessageKind
from tests.engine_support import ANNA, BRUNO, chat, clock, quiz, store  # noqa: F401 - fixtures


def _tap(chat, user, data: str):
    incoming = replace(chat.incoming(user, None, kind=MessageKind.CALLBACK), callback_query_id="q1",
                       callback_data=data, message_id=7)
    return chat.engine.handle(incoming)


def test_blocked_update_marks_and_unmarks(quiz, chat):
    blocked = chat.incoming(ANNA, None, kind=MessageKind.BLOCKED)
    restarted = chat.incoming(ANNA, None, kind=MessageKind.UNBLOCKED)

    assert quiz.handle(blocked) == []
    assert quiz.is_blocked(ANNA.user_id) is True
    assert quiz.blocked_users() == [ANNA.user_id]
    assert quiz.handle(restarted) == []
    assert quiz.is_blocked(ANNA.user_id) is False


def test_blocked_user_pending_edits_cancelled(quiz, chat, store):
    question = quiz.add_question(text="Largest city?", kind="choice", options=["Milano", "Roma"], answers=["Milano"])
    quiz.open_question(question.number)
    _tap(chat, ANNA, f"c:{quiz.event.id}:{question.id}:0")
    _tap(chat, BRUNO, f"c:{quiz.event.id}:{question.id}:1")

    quiz.mark_blocked(ANNA.user_id)

    statuses = {(record.item.chat_id, record.item.purpose): record.status for record in store.outbox_records(quiz.event.id)}
    assert statuses[(ANNA.user_id, "tap_confirmation")] == "cancelled"
    assert statuses[(BRUNO.user_id, "tap_confirmation")] == "pending"
    assert quiz.is_blocked(ANNA.user_id) is True
    assert quiz.answer_count(question.number) == 2


def test_blocked_twice_keeps_first_time(quiz, chat, clock):
    quiz.mark_blocked(ANNA.user_id)
    first = quiz.store._one("SELECT blocked_at FROM blocked_users")[0]
    clock.advance(60)

    quiz.mark_blocked(ANNA.user_id)

    assert quiz.store._one("SELECT blocked_at FROM blocked_users")[0] == first
    assert quiz.blocked_users() == [ANNA.user_id]
