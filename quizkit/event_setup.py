"""Create an event file's event in the database, or load it when an earlier run created it.

`quizkit qr` and `quizkit serve` both call `open_event`, so the codes printed on a QR sheet are the
codes that the server later accepts: codes generated on the first run are stored and reused.
"""

from __future__ import annotations

import logging

from quizkit.engine import Engine
from quizkit.errors import InvalidEventFile
from quizkit.event_file import EventFile, QuestionSpec
from quizkit.model import Question, QuestionState
from quizkit.store import Store

__all__ = ["open_event"]

logger = logging.getLogger("quizkit.engine")

_RENAME = "to start over, write another name = \"...\" in the event file, which creates a new event"


def open_event(store: Store, event_file: EventFile, bot_username: str) -> Engine:
    """Return the engine of the file's event, creating the event and its questions on the first call.

    On later calls the stored event must match the file: same language, channel and bot, and the
    stored questions the same as the file's first ones. Questions added at the end of the file are
    added to the event. Raises InvalidEventFile naming the first difference.
    """
    if store.event(event_file.name) is None:
        return _create(store, event_file, bot_username)

    engine = Engine.load(store, event_file.name)
    _check_settings(engine, event_file, bot_username)
    _apply_settings(engine, event_file)
    stored = engine.questions()
    if len(stored) > len(event_file.questions):
        raise InvalidEventFile(
            f"{event_file.path}: event {event_file.name!r} in {store.path!r} has {len(stored)} questions but the "
            f"file has {len(event_file.questions)}; put the missing questions back, or {_RENAME}."
        )
    for question, spec in zip(stored, event_file.questions):
        _check_question(event_file, question, spec)
    for spec in event_file.questions[len(stored):]:
        _add(engine, spec)
    return engine


def _create(store: Store, event_file: EventFile, bot_username: str) -> Engine:
    # One transaction, so an invalid question leaves no half-created event behind.
    with store.transaction():
        engine = Engine.create_event(store, name=event_file.name, language=event_file.language,
                                     channel_id=event_file.channel_id, bot_username=bot_username,
                                     podium_size=event_file.podium_size, scoring=event_file.scoring,
                                     leaderboard=event_file.leaderboard)
        for spec in event_file.questions:
            _add(engine, spec)
    logger.info("created event %s from %s with %d questions", event_file.name, event_file.path,
                len(event_file.questions))
    return engine


def _add(engine: Engine, spec: QuestionSpec) -> Question:
    return engine.add_question(text=spec.text, answers=spec.engine_answers(), code=spec.code, kind=spec.kind,
                               options=spec.options or None, time_limit_s=spec.time_limit_s)


def _apply_settings(engine: Engine, event_file: EventFile) -> None:
    # Unlike the language or the channel, these may change between runs: the next results post and
    # leaderboard use them.
    event = engine.event
    wanted = (event_file.podium_size, event_file.scoring, event_file.leaderboard)
    if (event.podium_size, event.scoring, event.leaderboard) != wanted:
        engine.update_settings(podium_size=event_file.podium_size, scoring=event_file.scoring,
                               leaderboard=event_file.leaderboard)


def _check_settings(engine: Engine, event_file: EventFile, bot_username: str) -> None:
    event = engine.event
    stored = {"language": event.language, "channel": event.channel_id, "bot_username": event.bot_username}
    given = {"language": event_file.language, "channel": event_file.channel_id, "bot_username": bot_username}
    for key, value in given.items():
        if key == "bot_username" and value.casefold() == stored[key].casefold():
            continue
        if value != stored[key]:
            raise InvalidEventFile(
                f"{event_file.path}: event {event.name!r} is stored with {key} {stored[key]!r}, but now "
                f"{key} is {value!r}; write {key} = {stored[key]!r} back, or {_RENAME}."
            )


def _check_question(event_file: EventFile, question: Question, spec: QuestionSpec) -> None:
    differences = []
    if question.text != spec.text:
        differences.append(f"text {question.text!r}")
    if question.kind != spec.kind:
        differences.append(f"kind {question.kind!r}")
    if spec.code is not None and question.code != spec.code:
        differences.append(f"code {question.code!r}")
    # The host may give the answers when closing (`quizkit host close N --answer X`), and those are
    # the ones the question was judged by, so a closed question keeps its stored answers.
    if question.answers != spec.engine_answers() and question.state is not QuestionState.CLOSED:
        differences.append(f"answers {list(question.answers)!r}")
    if question.options != spec.options:
        differences.append(f"options {list(question.options)!r}")
    if question.time_limit_s != spec.time_limit_s:
        differences.append(f"time_limit_s {question.time_limit_s!r}")
    if differences:
        raise InvalidEventFile(
            f"{event_file.path}: question {spec.number} differs from the stored one, which has "
            f"{', '.join(differences)}; the printed QR codes and the server use the stored question, so write "
            f"it back as stored, or {_RENAME}."
        )
