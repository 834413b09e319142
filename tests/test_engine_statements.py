"""How many SQL statements the engine runs per update: a guard against slow regressions, not a timing.

The counts come from SQLite's trace callback, which receives every statement of the store's
connection, BEGIN and COMMIT included. Raise a limit only with a measurement that justifies it.
"""

from __future__ import annotations

from tests.engine_support import ANNA, BRUNO, CARLA, chat, clock, quiz, store  # noqa: F401  (pytest fixtures)

# A typed first answer alone: BEGIN IMMEDIATE, the participant upsert that returns the
# conversation, PRAGMA data_version for the questions in memory, the answer's INSERT, the
# update_id's INSERT with the replies, COMMIT.
TYPED_ANSWER_ALONE = 6
# The same answer from three participants in one group adds SAVEPOINT and RELEASE for each,
# and shares BEGIN, PRAGMA data_version and COMMIT.
TYPED_ANSWERS_IN_GROUP_OF_THREE = 3 + 3 * 5


def _traced(store) -> list[str]:
    statements: list[str] = []
    store._connection.set_trace_callback(statements.append)
    return statements


def test_statements_typed_answer_alone(quiz, chat, store):
    quiz.open_question(1)
    chat.send(ANNA, "/start KX1")
    statements = _traced(store)

    results = quiz.handle_many([chat.incoming(ANNA, "Roma")])
    store._connection.set_trace_callback(None)

    assert results[0][0].text.startswith("Got it! Your answer to question 1")
    assert len(statements) <= TYPED_ANSWER_ALONE, statements
    assert sum(statement.startswith("INSERT INTO processed_updates") for statement in statements) == 1
    assert not any(statement.startswith("UPDATE processed_updates") for statement in statements)
    assert not any(statement.startswith("SELECT * FROM answers") for statement in statements)


def test_statements_typed_answers_in_group(quiz, chat, store):
    quiz.open_question(1)
    quiz.handle_many([chat.incoming(user, "/start KX1") for user in (ANNA, BRUNO, CARLA)])
    statements = _traced(store)

    results = quiz.handle_many([chat.incoming(user, "Roma") for user in (ANNA, BRUNO, CARLA)])
    store._connection.set_trace_callback(None)

    assert [len(replies) for replies in results] == [1, 1, 1]
    assert quiz.answer_count(1) == 3
    assert len(statements) <= TYPED_ANSWERS_IN_GROUP_OF_THREE, statements
    assert statements.count("PRAGMA data_version") == 1
    assert statements.count("SAVEPOINT quizkit_step") == 3
