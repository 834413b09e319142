"""Texts the command line prints, in English or Italian after the user's locale settings."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsoleTexts:
    """Labels and line templates of the rehearsal's progress and summary."""

    started: str
    answers_unit: str
    table_header: tuple[str, str, str, str, str, str]
    leaderboard: str
    correct: str
    closing: str


ENGLISH = ConsoleTexts(
    started="Rehearsal '{event}': {participants} participants, {questions} questions, {transport}, database {db}",
    answers_unit=" answers",
    table_header=("Q", "code", "answers", "people", "correct", "podium (first three correct)"),
    leaderboard="Leaderboard",
    correct="correct",
    closing=("answers sent {answers_sent}, stored {answers_stored}; updates sent {updates_sent}, "
             "acknowledged {updates_acked}; podium posts {podium_posts}; peak {peak} updates/s; {duration} s"),
)

ITALIAN = ConsoleTexts(
    started="Prova '{event}': {participants} partecipanti, {questions} domande, {transport}, database {db}",
    answers_unit=" risposte",
    table_header=("D", "codice", "risposte", "persone", "esatte", "podio (le prime tre esatte)"),
    leaderboard="Classifica",
    correct="esatte",
    closing=("risposte inviate {answers_sent}, salvate {answers_stored}; update inviati {updates_sent}, "
             "confermati {updates_acked}; podi pubblicati {podium_posts}; picco {peak} update/s; {duration} s"),
)


def console_texts(environ: dict[str, str] | None = None) -> ConsoleTexts:
    """Return the Italian texts when the locale (LC_ALL, LC_MESSAGES or LANG, in that order) is Italian."""
    return ITALIAN if locale_is_italian(environ) else ENGLISH


def locale_is_italian(environ: dict[str, str] | None = None) -> bool:
    """Return True when the first locale variable set (LC_ALL, LC_MESSAGES or LANG) is Italian."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return value.lower().startswith("it")
    return False
