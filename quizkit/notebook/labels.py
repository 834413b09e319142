"""The host panel's words in Italian and English, chosen by the panel's `language` setting."""

from __future__ import annotations

__all__ = ["LANGUAGES", "labels"]

_LABELS = {
    "en": {
        "title": "quizkit · {event}",
        "status": "Status",
        "transport": "Transport",
        "public_url": "Public URL",
        "health": "Server",
        "running": "running",
        "stopped": "stopped",
        "pending": "Pending updates",
        "rate": "Updates/s now",
        "peak": "Peak updates/s",
        "participants": "Participants",
        "people": "People reached",
        "errors": "Errors",
        "last_error": "Last error",
        "none": "none",
        "questions": "Questions",
        "question": "Question",
        "code": "Code",
        "text": "Text",
        "state": "State",
        "answers": "Answers",
        "state_draft": "to launch",
        "state_open": "open",
        "state_closed": "closed",
        "launch": "Launch",
        "close": "Close",
        "correct_answer": "Correct answer",
        "correct_answer_hint": "accepted answers, separated by |",
        "confirm_close": "Close question {number} ({code}) with the correct answer {answers}? "
                         "Late answers will not count.",
        "confirm": "Yes, close it",
        "cancel": "Cancel",
        "launched": "Question {number} ({code}) is open.",
        "closed": "Question {number} ({code}) is closed: {correct} correct out of {answers}.",
        "busy": "Still working on the last action; wait for it to finish.",
        "no_answer": "Write the correct answer before closing question {number}.",
        "failed": "{action} failed: {error}",
        "live": "Live responses",
        "live_none": "No question has been launched yet.",
        "live_counts": "Question {number} ({code}) · {state} · {answers} answers · {people} people reached",
        "live_correct": " · {correct} correct",
        "newest_first": "newest first, last {limit}",
        "col_participant": "Participant",
        "col_team": "Team",
        "col_answer": "Answer",
        "col_delay": "Delay (s)",
        "col_correct": "Correct",
        "col_rank": "Rank",
        "col_late": "Late",
        "yes": "yes",
        "no": "no",
        "chart": "Messages per second",
        "chart_y": "updates/s",
        "chart_x": "minutes ago",
        "chart_opened": "Q{number} opened",
        "chart_closed": "Q{number} closed",
        "podium": "Podium",
        "podium_none": "The podium shows here when a question closes.",
        "podium_title": "Question {number} ({code}): {answers}",
        "leaderboard": "Leaderboard",
        "leaderboard_none": "The leaderboard shows here after the first question closes.",
        "col_position": "#",
        "col_correct_total": "Correct",
        "col_total_delay": "Total delay (s)",
        "log": "Log",
        "log_empty": "No log lines yet.",
        "crowd": "Simulated crowd",
        "crowd_start": "Start the crowd",
        "crowd_stop": "Stop the crowd",
        "crowd_idle": "Crowd stopped: nobody answers.",
        "crowd_running": "Crowd on: {participants} simulated participants answer each question you launch.",
        "crowd_playing": "Crowd on: playing {phase}.",
        "projector": "Projector",
        "projector_scan": "Scan to answer",
        "projector_or": "or send the code to @{bot}",
        "projector_wait": "Waiting for the next question",
        "checks": "Checks for event day (quizkit doctor)",
        "run_checks": "Run the checks",
        "checks_running": "Checking…",
        "checks_failed": "The checks could not run: {error}",
        "col_check": "Check",
        "col_result": "Result",
        "col_found": "Found",
        "col_fix": "What to do",
        "checks_rehearsal": "This is a rehearsal on a local emulator: the checks show what a real event "
                            "would need, so the public URL fails until you set one.",
        "error_not_running": "the bot is not running; run the start cell again.",
        "error_state": "the question is not in a state that allows it (a closed question cannot open again, "
                       "a question to launch cannot close, and a closed one keeps its answers).",
        "error_answers": "the correct answers are not valid for this question; check them and try again.",
        "error_other": "{error}",
        "confirm_end_button": "Yes, end the event",
        "end_event": "End the event",
        "confirm_end": "Post the final leaderboard to the channel and stop the simulated crowd? "
                       "The bot keeps answering until you stop it.",
        "ended": "The final leaderboard is on its way to the channel.",
        "start_no_token": "QUIZKIT_BOT_TOKEN is not set, so there is no bot to start. Set it to the token "
                          "from @BotFather before you open JupyterLab, or leave it unset to run a rehearsal.",
        "start_no_event": "QUIZKIT_EVENT is not set, so the notebook does not know which event to run. Set it "
                          "to the event's name before you open JupyterLab (for example QUIZKIT_EVENT=codeweek "
                          "jupyter lab), or in a cell with os.environ[\"QUIZKIT_EVENT\"] = \"codeweek\", then "
                          "run the cells again.",
        "start_no_database": "QUIZKIT_DB is not set, so the notebook does not know which database contains "
                             "event {event!r}. Set it to the database's path (for example "
                             "QUIZKIT_DB=codeweek.db), then run the cells again.",
        "start_database_missing": "Database {path} not found, so event {event!r} cannot be loaded; the notebook "
                                  "created no file. Check QUIZKIT_DB, or create the event with quizkit serve "
                                  "--event EVENT.toml (see the section With a real event), then run the cells again.",
        "start_event_missing": "Event {event!r} is not in database {path}, which contains: {events}. Check "
                               "QUIZKIT_EVENT, or create the event with quizkit serve --event EVENT.toml (see "
                               "the section With a real event), then run the cells again.",
        "start_no_events": "no event",
        "start_invalid_port": "QUIZKIT_PORT is {value!r}, which is not a TCP port. Set it to a number from 1 to "
                              "65535, such as 8443, then run the cells again.",
        "start_failed": "The bot did not start. Check that the Bot API at {url} answers (the internet "
                        "connection, or QUIZKIT_API_URL) and that the token in QUIZKIT_BOT_TOKEN is right; "
                        "quizkit doctor shows which is wrong. Then run this cell again.\nDetail: {error}",
        "start_already_running": "Another notebook or quizkit serve process already runs this bot or this "
                                 "event, so this one cannot start. Stop it (panel.stop(), host.stop() or Ctrl-C), "
                                 "then run this cell again.\nDetail: {error}",
        "start_database_failed": "Database {path} cannot be used, so the event cannot start. Check QUIZKIT_DB, "
                                 "then run the cells again.\nDetail: {error}",
        "start_database_folder": "QUIZKIT_DB is {path}, which is a folder, not a database file. Set it to the "
                                 "database file's path (for example QUIZKIT_DB={path}/codeweek.db), then run the "
                                 "cells again.",
    },
    "it": {
        "title": "quizkit · {event}",
        "status": "Stato",
        "transport": "Modalità",
        "public_url": "URL pubblico",
        "health": "Server",
        "running": "attivo",
        "stopped": "fermo",
        "pending": "Aggiornamenti in attesa",
        "rate": "Aggiornamenti/s ora",
        "peak": "Picco aggiornamenti/s",
        "participants": "Partecipanti",
        "people": "Persone raggiunte",
        "errors": "Errori",
        "last_error": "Ultimo errore",
        "none": "nessuno",
        "questions": "Domande",
        "question": "Domanda",
        "code": "Codice",
        "text": "Testo",
        "state": "Stato",
        "answers": "Risposte",
        "state_draft": "da lanciare",
        "state_open": "aperta",
        "state_closed": "chiusa",
        "launch": "Lancia",
        "close": "Chiudi",
        "correct_answer": "Risposta giusta",
        "correct_answer_hint": "risposte accettate, separate da |",
        "confirm_close": "Chiudere la domanda {number} ({code}) con la risposta giusta {answers}? "
                         "Le risposte in ritardo non conteranno.",
        "confirm": "Sì, chiudi",
        "cancel": "Annulla",
        "launched": "La domanda {number} ({code}) è aperta.",
        "closed": "La domanda {number} ({code}) è chiusa: {correct} giuste su {answers}.",
        "busy": "L'ultima azione è ancora in corso; aspettate che finisca.",
        "no_answer": "Scrivete la risposta giusta prima di chiudere la domanda {number}.",
        "failed": "{action} non riuscito: {error}",
        "live": "Risposte in diretta",
        "live_none": "Nessuna domanda è stata ancora lanciata.",
        "live_counts": "Domanda {number} ({code}) · {state} · {answers} risposte · {people} persone raggiunte",
        "live_correct": " · {correct} giuste",
        "newest_first": "dalla più recente, ultime {limit}",
        "col_participant": "Partecipante",
        "col_team": "Squadra",
        "col_answer": "Risposta",
        "col_delay": "Ritardo (s)",
        "col_correct": "Giusta",
        "col_rank": "Posto",
        "col_late": "In ritardo",
        "yes": "sì",
        "no": "no",
        "chart": "Messaggi al secondo",
        "chart_y": "aggiornamenti/s",
        "chart_x": "minuti fa",
        "chart_opened": "D{number} aperta",
        "chart_closed": "D{number} chiusa",
        "podium": "Podio",
        "podium_none": "Il podio compare qui quando una domanda si chiude.",
        "podium_title": "Domanda {number} ({code}): {answers}",
        "leaderboard": "Classifica",
        "leaderboard_none": "La classifica compare qui dopo la chiusura della prima domanda.",
        "col_position": "#",
        "col_correct_total": "Giuste",
        "col_total_delay": "Ritardo totale (s)",
        "log": "Registro",
        "log_empty": "Ancora nessuna riga nel registro.",
        "crowd": "Pubblico simulato",
        "crowd_start": "Avvia il pubblico",
        "crowd_stop": "Ferma il pubblico",
        "crowd_idle": "Pubblico fermo: nessuno risponde.",
        "crowd_running": "Pubblico attivo: {participants} partecipanti simulati rispondono a ogni domanda che lanciate.",
        "crowd_playing": "Pubblico attivo: sta giocando {phase}.",
        "projector": "Proiettore",
        "projector_scan": "Inquadra per rispondere",
        "projector_or": "oppure manda il codice a @{bot}",
        "projector_wait": "In attesa della prossima domanda",
        "checks": "Controlli per il giorno della gara (quizkit doctor)",
        "run_checks": "Esegui i controlli",
        "checks_running": "Controllo in corso…",
        "checks_failed": "Non è stato possibile eseguire i controlli: {error}",
        "col_check": "Controllo",
        "col_result": "Esito",
        "col_found": "Trovato",
        "col_fix": "Cosa fare",
        "checks_rehearsal": "Questa è una prova su un emulatore locale: i controlli mostrano che cosa "
                            "servirebbe a una gara vera, quindi l'URL pubblico non passa finché non ne date uno.",
        "error_not_running": "il bot non è attivo; eseguite di nuovo la cella di avvio.",
        "error_state": "lo stato della domanda non lo permette (una domanda chiusa non si riapre, una da "
                       "lanciare non si chiude, e una chiusa tiene le sue risposte).",
        "error_answers": "le risposte giuste non vanno bene per questa domanda; controllatele e riprovate.",
        "error_other": "{error}",
        "confirm_end_button": "Sì, termina l'evento",
        "end_event": "Termina l'evento",
        "confirm_end": "Pubblicare sul canale la classifica finale e fermare il pubblico simulato? "
                       "Il bot continua a rispondere finché non lo fermate.",
        "ended": "La classifica finale sta andando sul canale.",
        "start_no_token": "QUIZKIT_BOT_TOKEN non è impostata, quindi non c'è un bot da avviare. Impostatela "
                          "con il token di @BotFather prima di aprire JupyterLab, oppure lasciatela vuota per "
                          "fare una prova.",
        "start_no_event": "QUIZKIT_EVENT non è impostata, quindi il quaderno non sa quale evento condurre. "
                          "Impostatela con il nome dell'evento prima di aprire JupyterLab (per esempio "
                          "QUIZKIT_EVENT=codeweek jupyter lab), oppure in una cella con "
                          "os.environ[\"QUIZKIT_EVENT\"] = \"codeweek\", poi eseguite di nuovo le celle.",
        "start_no_database": "QUIZKIT_DB non è impostata, quindi il quaderno non sa quale database contiene "
                             "l'evento {event!r}. Impostatela con il percorso del database (per esempio "
                             "QUIZKIT_DB=codeweek.db), poi eseguite di nuovo le celle.",
        "start_database_missing": "Il database {path} non esiste, quindi l'evento {event!r} non si può caricare; "
                                  "il quaderno non ha creato nessun file. Controllate QUIZKIT_DB, oppure create "
                                  "l'evento con quizkit serve --event EVENTO.toml (vedete la sezione Con una gara "
                                  "vera), poi eseguite di nuovo le celle.",
        "start_event_missing": "L'evento {event!r} non è nel database {path}, che contiene: {events}. Controllate "
                               "QUIZKIT_EVENT, oppure create l'evento con quizkit serve --event EVENTO.toml "
                               "(vedete la sezione Con una gara vera), poi eseguite di nuovo le celle.",
        "start_no_events": "nessun evento",
        "start_invalid_port": "QUIZKIT_PORT vale {value!r}, che non è una porta TCP. Impostatela con un numero da "
                              "1 a 65535, per esempio 8443, poi eseguite di nuovo le celle.",
        "start_failed": "Il bot non è partito. Controllate che la Bot API a {url} risponda (la connessione a "
                        "internet, o QUIZKIT_API_URL) e che il token in QUIZKIT_BOT_TOKEN sia giusto; quizkit "
                        "doctor mostra che cosa non va. Poi eseguite di nuovo questa cella.\nDettaglio: {error}",
        "start_already_running": "Un altro quaderno o processo quizkit serve fa già girare questo bot o questo "
                                 "evento, quindi questo non può partire. Fermatelo (panel.stop(), host.stop() o "
                                 "Ctrl-C), poi eseguite di nuovo questa cella.\nDettaglio: {error}",
        "start_database_failed": "Il database {path} non si può usare, quindi l'evento non può partire. "
                                 "Controllate QUIZKIT_DB, poi eseguite di nuovo le celle.\nDettaglio: {error}",
        "start_database_folder": "QUIZKIT_DB vale {path}, che è una cartella e non un file di database. "
                                 "Impostatela con il percorso del file (per esempio QUIZKIT_DB={path}/codeweek.db), "
                                 "poi eseguite di nuovo le celle.",
    },
}

LANGUAGES = tuple(_LABELS)


def labels(language: str) -> dict[str, str]:
    """Return the panel's words in `language` ("it" or "en"); raise ValueError for any other."""
    try:
        return _LABELS[language]
    except KeyError:
        raise ValueError(
            f"Panel language {language!r} is not available; use one of {', '.join(LANGUAGES)}."
        ) from None
