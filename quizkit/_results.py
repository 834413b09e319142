"""Ranking, question results and the leaderboard, computed from the stored answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from quizkit.answers import answer_matcher
from quizkit.model import (
    Answer,
    LeaderboardRow,
    Participant,
    PodiumEntry,
    Question,
    QuestionResult,
    QuestionState,
)
from quizkit.store import Store

PODIUM_SIZE = 3


def delay_seconds(opened_at: datetime | None, received_at: datetime) -> float:
    """Return the seconds from a question's opening to an answer's arrival, never below zero.

    The two times come from different clocks (the engine's and the server's), so a negative
    difference is clock skew, not an answer sent before the question opened.
    """
    if opened_at is None:
        return 0.0
    return max(0.0, (received_at - opened_at).total_seconds())


def delay_microseconds(opened_at: datetime | None, received_at: datetime) -> int:
    """Return `delay_seconds` in whole microseconds, the unit the leaderboard sums exactly."""
    if opened_at is None:
        return 0
    return max(0, (received_at - opened_at) // timedelta(microseconds=1))


def rank_answers(question: Question, answers: Sequence[Answer]) -> list[tuple[int, bool, int | None, int]]:
    """Mark each in-time answer right or wrong, rank the right ones by update_id and measure its delay.

    Returns `(user_id, correct, rank, delay_us)` tuples. The update_id is the order in which Telegram
    received the messages, so it is fair even when our server handled them in another order.
    """
    results = []
    rank = 0
    is_correct = answer_matcher(question.answers, question.kind)
    for answer in sorted(answers, key=lambda item: item.update_id):
        if answer.late:
            continue
        correct = is_correct(answer.raw_text)
        if correct:
            rank += 1
        delay_us = delay_microseconds(question.opened_at, answer.received_at)
        results.append((answer.user_id, correct, rank if correct else None, delay_us))
    return results


def compute_result(store: Store, question: Question) -> QuestionResult:
    """Return the totals and podium of a question over its in-time answers.

    A closed question uses the correctness stored when it closed. An open question is matched
    against its accepted answers now, as a preview, and has no correct answers if it has none yet.
    """
    in_time = [(answer, participant) for answer, participant in store.answers_with_participants(question.id) if not answer.late]

    if question.state is QuestionState.CLOSED:
        correct = [(answer, participant) for answer, participant in in_time if answer.correct]
    else:
        is_correct = answer_matcher(question.answers, question.kind)
        correct = [
            (answer, participant)
            for answer, participant in in_time
            if question.answers and is_correct(answer.raw_text)
        ]

    podium = tuple(
        PodiumEntry(
            rank=position,
            user_id=answer.user_id,
            display_name=participant.display_name,
            delay_s=delay_seconds(question.opened_at, answer.received_at),
        )
        for position, (answer, participant) in enumerate(correct[:PODIUM_SIZE], start=1)
    )
    return QuestionResult(
        question=question,
        answers=len(in_time),
        people_reached=sum(participant.head_count for _, participant in in_time),
        correct=len(correct),
        podium=podium,
    )


def compute_leaderboard(store: Store, event_id: int, limit: int | None = None) -> list[LeaderboardRow]:
    """Rank participants by correct in-time answers (desc), then cumulative delay (asc), then user_id.

    Only closed questions count, and only participants with at least one correct answer appear.
    """
    return [
        LeaderboardRow(
            position=position,
            user_id=participant.user_id,
            display_name=participant.display_name,
            correct=correct,
            delay_s=delay_us / 1_000_000,
        )
        for position, (participant, correct, delay_us) in enumerate(store.leaderboard_totals(event_id, limit), start=1)
    ]
