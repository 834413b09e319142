"""Live counts: announcement edits with the answer count, at most one per question every 5 s."""

from __future__ import annotations

from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BRUNO,
    CARLA,
    chat,
    chat_it,
    clock,
    outbox_rows,
    quiz,
    quiz_it,
    store,
)

ANNOUNCEMENT_KX1 = (
    "<b>Question 1</b>\nCapital of Italy?\n\n"
    "To answer, open https://t.me/quizkit_bot?start=KX1 or send the code <b>KX1</b> to @quizkit_bot."
)


def _count_edits(store, event_id):
    return [(status, text) for action, purpose, status, text in outbox_rows(store, event_id) if purpose == "live_count"]


def _send_announcement(quiz, message_id=555):
    announcement = quiz.outbox_pending()[0]
    quiz.outbox_sent(announcement.id, message_id)


def test_live_count_nothing_without_answers(quiz):
    quiz.open_question(1)

    assert quiz.refresh_live_counts() == 0


def test_live_count_first_answer_queues_edit(quiz, chat, store):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")

    assert quiz.refresh_live_counts() == 1
    assert _count_edits(store, quiz.event.id) == [("pending", f"{ANNOUNCEMENT_KX1}\n\n📨 1 answer so far")]


def test_live_count_not_again_within_interval(quiz, chat, clock):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    quiz.refresh_live_counts()
    clock.advance(4.9)
    chat.answer(BRUNO, "KX1", "Roma")

    assert quiz.refresh_live_counts() == 0


def test_live_count_after_interval_replaces_pending(quiz, chat, clock, store):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    quiz.refresh_live_counts()
    clock.advance(5)
    chat.answer(BRUNO, "KX1", "Roma")

    assert quiz.refresh_live_counts() == 1
    assert _count_edits(store, quiz.event.id) == [("pending", f"{ANNOUNCEMENT_KX1}\n\n📨 2 answers so far")]


def test_live_count_after_sent_queues_new_edit(quiz, chat, clock, store):
    quiz.open_question(1)
    _send_announcement(quiz)
    chat.answer(ANNA, "KX1", "Roma")
    quiz.refresh_live_counts()
    edit = quiz.outbox_pending()[0]
    quiz.outbox_sent(edit.id, 555)
    clock.advance(5)
    chat.answer(BRUNO, "KX1", "Roma")

    assert quiz.refresh_live_counts() == 1
    assert _count_edits(store, quiz.event.id) == [
        ("sent", f"{ANNOUNCEMENT_KX1}\n\n📨 1 answer so far"),
        ("pending", f"{ANNOUNCEMENT_KX1}\n\n📨 2 answers so far"),
    ]


def test_live_count_unchanged_count_no_edit(quiz, chat, clock):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    quiz.refresh_live_counts()
    clock.advance(60)

    assert quiz.refresh_live_counts() == 0


def test_live_count_one_edit_per_open_question(quiz, chat):
    quiz.open_question(1)
    quiz.open_question(2)
    chat.answer(ANNA, "KX1", "Roma")
    chat.answer(ANNA, "HT2", "42")

    assert quiz.refresh_live_counts() == 2


def test_live_count_ignores_closed_questions(quiz, chat, clock):
    quiz.open_question(1)
    quiz.close_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    clock.advance(10)

    assert quiz.refresh_live_counts() == 0


def test_live_count_edit_waits_for_announcement(quiz, chat):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    quiz.refresh_live_counts()

    assert [item.purpose for item in quiz.outbox_pending()] == ["announcement"]

    _send_announcement(quiz)

    assert [item.purpose for item in quiz.outbox_pending()] == ["live_count"]


def test_live_count_close_cancels_pending_edit(quiz, chat, store):
    quiz.open_question(1)
    chat.answer(ANNA, "KX1", "Roma")
    quiz.refresh_live_counts()

    quiz.close_question(1)

    assert _count_edits(store, quiz.event.id) == [("cancelled", f"{ANNOUNCEMENT_KX1}\n\n📨 1 answer so far")]


def test_live_count_italian_line(quiz_it, chat_it, store):
    quiz_it.open_question(1)
    chat_it.answer(ANNA, "KX1", "Roma")
    chat_it.answer(CARLA, "KX1", "Roma")

    quiz_it.refresh_live_counts()

    assert _count_edits(store, quiz_it.event.id) == [
        (
            "pending",
            "<b>Domanda 1</b>\nCapital of Italy?\n\n"
            "Per rispondere apri https://t.me/quizkit_bot?start=KX1 oppure scrivi il codice <b>KX1</b> a @quizkit_bot."
            "\n\n📨 Finora 2 risposte",
        )
    ]
