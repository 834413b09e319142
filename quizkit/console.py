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
    # Errors by reason (see ControlError), with {values} from the error; a reason missing here
    # prints the error's own English message.
    errors: dict[str, str]


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
    errors={},
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
    errors={
        "missing_database": ("Il database {path!r} non esiste, e nessun file è stato creato. Controlla il percorso, "
                             "o crea il database dell'evento con `quizkit serve --event EVENTO.toml` (o "
                             "`quizkit rehearse --db {path}` per una prova)."),
        "database_is_folder": ("Il percorso del database {path!r} è una cartella; indica il percorso di un file di "
                               "database al suo interno."),
        "no_control_file": ("Il file di controllo {path!r} non esiste: nessun `quizkit serve` è in funzione per "
                            "questo database. Avvialo prima con `quizkit serve --db {db} ...`."),
        "bad_control_file": ("Il file di controllo {path!r} è illeggibile o incompleto; riavvia `quizkit serve` "
                             "per riscriverlo."),
        "off_loopback": ("L'URL di controllo {url!r} non è un URL http su 127.0.0.1 o localhost; l'endpoint di "
                         "controllo ascolta solo su questo computer."),
        "unreachable": ("Nessun server quizkit risponde a {url} ({detail}); `quizkit serve` è in funzione per "
                        "questo database?"),
        "token": ("Il server ha rifiutato il token di controllo; riavvia `quizkit serve` per riscrivere il file "
                  "di controllo."),
        "not_found": "La domanda {question} non esiste in questo evento; `quizkit host status` elenca le domande.",
        "wrong_state_open": "La domanda {question} è già chiusa e non si può riaprire; aggiungi una nuova domanda.",
        "wrong_state_close": ("La domanda {question} non si può chiudere così: una domanda da lanciare va prima "
                              "aperta, e una domanda già chiusa si chiude di nuovo solo senza risposte, per "
                              "rileggerne i risultati. `quizkit host status` mostra lo stato di ogni domanda."),
        "invalid": "Il server ha rifiutato la richiesta come non valida: {detail}",
        "failed": "Il server quizkit non ha eseguito l'azione: {detail}",
    },
)


def host_error_text(texts: HostTexts, reason: str, values: dict[str, str], message: str) -> str:
    """Say the `quizkit host` error `reason` with `values` in `texts`' language, or return its English `message`."""
    template = texts.errors.get(reason)
    if template is None:
        return message
    try:
        return template.format(**values)
    except KeyError:
        return message  # the error lacks a value the template needs; its English message still names it


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
