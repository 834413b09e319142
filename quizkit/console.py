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


@dataclass(frozen=True)
class HostTexts:
    """Line templates of `quizkit host`, which prints what the `quizkit serve` process returned."""

    opened: str
    closed: str
    nobody: str
    status: str
    question: str
    # Question states as the status lines show them, by the state's stored value.
    states: dict[str, str]
    leaderboard_empty: str
    leaderboard_row: str


ENGLISH_HOST = HostTexts(
    opened="Opened question {number} ({code}).",
    closed=("Closed question {number} ({code}): {answers} answers, {correct} correct ({percent_correct}%), "
            "{people_reached} people reached; podium: {podium}."),
    nobody="nobody",
    status="Event {event!r}: {transport}, {updates} updates, {posts} channel posts, {errors} errors.",
    question="{number:>3} {code:<6} {state:<7} {answers:>5} answers",
    states={"draft": "draft", "open": "open", "closed": "closed"},
    leaderboard_empty="The leaderboard is empty: no closed question has a correct answer yet.",
    leaderboard_row="{position:>3}. {name:<36} {correct:>2} correct {delay_s:>8.1f} s",
)

ITALIAN_HOST = HostTexts(
    opened="Aperta la domanda {number} ({code}).",
    closed=("Chiusa la domanda {number} ({code}): risposte {answers}, esatte {correct} ({percent_correct}%), "
            "persone raggiunte {people_reached}; podio: {podium}."),
    nobody="nessuno",
    status="Evento {event!r}: {transport}; update {updates}, post sul canale {posts}, errori {errors}.",
    question="{number:>3} {code:<6} {state:<11} {answers:>5} risposte",
    states={"draft": "da lanciare", "open": "aperta", "closed": "chiusa"},
    leaderboard_empty="La classifica è vuota: nessuna domanda chiusa ha ancora una risposta esatta.",
    leaderboard_row="{position:>3}. {name:<36} {correct:>2} esatte {delay_s:>8.1f} s",
)


def host_texts(environ: dict[str, str] | None = None) -> HostTexts:
    """Return the Italian `quizkit host` texts when the locale is Italian, as `console_texts` decides."""
    return ITALIAN_HOST if locale_is_italian(environ) else ENGLISH_HOST


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
