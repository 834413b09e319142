"""Ranking, speed scores, question results and the leaderboard, computed from the stored answers.

A correct in-time answer scores MAX_SCORE points at the question's opening, falling linearly to
MIN_CORRECT_SCORE at the end of its scoring window: the time limit, or for a question without one,
the time it stayed open. A wrong or late answer scores 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from quizkit.answers import answer_matcher
from quizkit.model import (
    Answer,
    LeaderboardRow,
    PodiumEntry,
    Question,
    QuestionResult,
    QuestionState,
)
from quizkit.store import AnswerResult, Store

# The default number of correct answers in a results post; events may set 1 to PODIUM_SIZE_MAX.
PODIUM_SIZE = 3
PODIUM_SIZE_MAX = 20

MAX_SCORE = 1000
MIN_CORRECT_SCORE = 500


def is_late(question: Question, received_at: datetime) -> bool:
    """Return whether an answer received at `received_at` is late: the question closed, or its deadline passed."""
    if question.state is QuestionState.CLOSED:
        return True
    return question.deadline_at is not None and received_at > question.deadline_at


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


def scoring_window_s(question: Question) -> float | None:
    """Return the seconds over which a correct answer's score falls to MIN_CORRECT_SCORE.

    That is the time limit, or for a question without one the time from opening to closing. None
    while an untimed question is still open.
    """
    if question.time_limit_s is not None:
        return question.time_limit_s
    if question.opened_at is None or question.closed_at is None:
        return None
    return (question.closed_at - question.opened_at).total_seconds()


def speed_score(delay_s: float, window_s: float | None) -> int:
    """Return the points of a correct in-time answer given `delay_s` seconds after the opening.

    1000 at the opening, falling linearly to 500 at `window_s`, rounded to a whole number. A window
    of zero or None (nothing to measure speed against) gives the full 1000.
    """
    if not window_s or window_s <= 0:
        return MAX_SCORE
    share = min(max(delay_s / window_s, 0.0), 1.0)
    return round(MAX_SCORE - (MAX_SCORE - MIN_CORRECT_SCORE) * share)


def rank_answers(question: Question, answers: Sequence[Answer]) -> list[AnswerResult]:
    """Mark each in-time answer right or wrong, rank the right ones by update_id and score them.

    The update_id is the order in which Telegram received the messages, so it is fair even when our
    server handled them in another order. Late answers are left out: they were marked when stored.
    """
    window_s = scoring_window_s(question)
    results = []
    rank = 0
    is_correct = answer_matcher(question.answers, question.kind)
    for answer in sorted(answers, key=lambda item: item.update_id):
        if answer.late:
            continue
        correct = is_correct(answer.raw_text)
        score = 0
        if correct:
            rank += 1
            score = speed_score(delay_seconds(question.opened_at, answer.received_at), window_s)
        delay_us = delay_microseconds(question.opened_at, answer.received_at)
        results.append(AnswerResult(answer.user_id, correct, rank if correct else None, score, delay_us))
    return results


def compute_result(store: Store, question: Question, podium_size: int = PODIUM_SIZE) -> QuestionResult:
    """Return the totals and the first `podium_size` correct answers of a question, over its in-time answers.

    A closed question uses the correctness and scores stored when it closed. An open question is
    matched against its accepted answers now, as a preview, with scores as if it closed now. It has
    no correct answers while it has no accepted answers.
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

    window_s = scoring_window_s(question)
    podium = tuple(
        PodiumEntry(
            rank=position,
            user_id=answer.user_id,
            display_name=participant.display_name,
            delay_s=delay_seconds(question.opened_at, answer.received_at),
            score=answer.score
            if answer.score is not None
            else speed_score(delay_seconds(question.opened_at, answer.received_at), window_s),
        )
        for position, (answer, participant) in enumerate(correct[:podium_size], start=1)
    )
    return QuestionResult(
        question=question,
        answers=len(in_time),
        people_reached=sum(participant.head_count for _, participant in in_time),
        correct=len(correct),
        podium=podium,
    )


def compute_leaderboard(
    store: Store, event_id: int, limit: int | None = None, by_score: bool = False
) -> list[LeaderboardRow]:
    """Rank participants by correct in-time answers (desc), then cumulative delay (asc), then user_id.

    With `by_score`, the total speed score (desc) comes first. Only closed questions count, and only
    participants with at least one correct answer appear.
    """
    return [
        LeaderboardRow(
            position=position,
            user_id=participant.user_id,
            display_name=participant.display_name,
            correct=correct,
            delay_s=delay_us / 1_000_000,
            score=points,
        )
        for position, (participant, correct, delay_us, points) in enumerate(
            store.leaderboard_totals(event_id, limit, by_score), start=1
        )
    ]
