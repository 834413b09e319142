"""Italian texts."""

from __future__ import annotations

from collections.abc import Sequence

from quizkit.limits import HEAD_COUNT_MAX, HEAD_COUNT_MIN, TEAM_NAME_MAX_CHARS, TEAM_NAME_MIN_CHARS
from quizkit.locales._base import (
    MAX_QUOTED_ANSWER_CHARS,
    MAX_QUOTED_NAME_CHARS,
    Texts,
    deep_link,
    escape,
    plain_notice,
    plural,
    private_chat_link,
    quote,
)
from quizkit.model import LeaderboardRow, Question, QuestionResult


class ItalianTexts(Texts):
    language = "it"
    decimal_separator = ","
    # Normalised forms, so "sì", "Sì!" and "si" all confirm.
    yes_words = frozenset({"si", "ok", "certo"})
    question_word = "Domanda"
    thousands_separator = "."
    points_word = "punti"

    # Channel posts

    def announcement(self, question: Question, bot_username: str) -> str:
        link = deep_link(bot_username, question.code)
        limit = "" if question.time_limit_s is None else f"{self.time_limit_line(question.time_limit_s)}\n"
        return (
            f"{self.heading(question)}{self.options_block(question)}\n\n{limit}"
            f"Per rispondere apri {link} oppure scrivi il codice <b>{escape(question.code)}</b> a @{bot_username}."
        )

    def time_limit_line(self, seconds: float) -> str:
        return f"⏱ Tempo a disposizione: {self.duration(seconds)}"

    def count_line(self, count: int) -> str:
        return f"📨 Finora {plural(count, 'risposta', 'risposte')}"

    def announcement_closed(self, question: Question, answers: int) -> str:
        return (
            f"{self.heading(question)}{self.options_block(question)}\n\n"
            f"✅ Risposta: <b>{escape(question.answers[0])}</b>\n"
            f"Domanda chiusa con {plural(answers, 'risposta', 'risposte')}."
        )

    def results(self, result: QuestionResult, scoring: bool = False) -> str:
        question = result.question
        lines = [
            f"<b>Domanda {question.number}: i risultati</b>",
            f"✅ {escape(question.answers[0])}",
            f"Risposte: {result.answers} · Persone raggiunte: {result.people_reached} · "
            f"Esatte: {self.percent(result.percent_correct)}",
            "",
        ]
        if result.answers == 0:
            lines.append("Nessuno ha risposto.")
        elif not result.podium:
            lines.append("Nessuno ha indovinato.")
        else:
            lines.extend(self.podium_lines(result.podium, scoring))
        return "\n".join(lines)

    def leaderboard_post(self, rows: Sequence[LeaderboardRow], scoring: bool = False) -> str:
        if not rows:
            return "🏆 <b>Classifica finale</b>\n\nAncora nessun risultato."
        return "\n".join(["🏆 <b>Classifica finale</b>", "", *self.leaderboard_lines(rows, scoring)])

    def correct_count(self, count: int) -> str:
        return plural(count, "risposta esatta", "risposte esatte")

    # Replies to participants

    def help(self) -> str:
        return (
            "<b>Come si gioca</b>\n"
            "Quando sul canale compare una domanda, tocca il suo link o scrivimi il suo codice "
            "(per esempio <b>KX4</b>), poi mandami la risposta in un messaggio. "
            "Vale solo la prima risposta e vince chi risponde giusto più in fretta.\n\n"
            "/register – giocate in squadra? Registra il nome e quanti siete\n"
            "/stats – i primi 10 della classifica\n"
            "/reset – ricomincia da capo (le risposte già date restano)\n"
            "/help – questo messaggio"
        )

    def unknown_command(self, command: str) -> str:
        return f"Non conosco il comando {quote(command)}.\n\n{self.help()}"

    def question_selected(self, question: Question, seconds_left: float | None = None) -> str:
        if question.kind == "choice":
            request = "Tocca la tua risposta qui sotto, oppure scrivimi il suo numero."
        else:
            request = "Mandami la tua risposta in un messaggio."
        if seconds_left is not None:
            request += f"\n⏱ Restano {self.duration(seconds_left)}."
        return f"{self.heading(question)}\n\n{request}"

    def closed_question_selected(self, question: Question) -> str:
        return (
            f"{self.heading(question)}\n\n"
            "Questa domanda è chiusa: puoi ancora rispondere per scoprire se avevi indovinato, "
            "ma la risposta non conterà per la classifica."
        )

    def question_not_open(self, code: str) -> str:
        return f"La domanda <b>{escape(code)}</b> non è ancora aperta: aspetta che compaia sul canale."

    def unknown_code(self, text: str) -> str:
        return (
            f"Non c'è nessuna domanda con il codice <b>{quote(text)}</b>. "
            "Scrivimi il codice che vedi sul canale (per esempio <b>KX4</b>) o tocca il link della domanda. "
            "Con /help trovi le istruzioni."
        )

    def answer_received(self, question: Question, raw_answer: str) -> str:
        answer = quote(raw_answer, MAX_QUOTED_ANSWER_CHARS)
        return (
            f"Ricevuta! La tua risposta alla domanda {question.number}: <b>{answer}</b>\n"
            "I risultati usciranno sul canale quando la domanda verrà chiusa."
        )

    def already_answered(self, question: Question, first_answer: str) -> str:
        answer = quote(first_answer, MAX_QUOTED_ANSWER_CHARS)
        return (
            f"Hai già risposto alla domanda {question.number}: <b>{answer}</b>\n"
            "Vale solo la prima risposta."
        )

    def send_text(self, question: Question) -> str:
        return f"Per rispondere alla domanda {question.number} mandami un messaggio di testo."

    def late_answer(self, question: Question, correct: bool, result: QuestionResult) -> str:
        answer = escape(question.answers[0])
        if correct:
            verdict = f"✅ Esatto! La risposta è <b>{answer}</b>."
        else:
            verdict = f"❌ Sbagliato: la risposta giusta è <b>{answer}</b>."
        if result.answers == 0:
            share = "Nessuno aveva risposto in tempo."
        else:
            share = f"Tra le risposte arrivate in tempo, quelle esatte sono state il {self.percent(result.percent_correct)}."
        return f"{verdict}\nLa domanda però era già chiusa, quindi la tua risposta non conta per la classifica. {share}"

    def stats(self, rows: Sequence[LeaderboardRow], scoring: bool = False) -> str:
        if not rows:
            return "Ancora nessun risultato: la classifica si riempie quando si chiude la prima domanda."
        return "\n".join(["<b>Classifica: i primi 10</b>", "", *self.leaderboard_lines(rows, scoring)])

    def leaderboard_off(self) -> str:
        return "In questo quiz non c'è la classifica: i risultati di ogni domanda escono sul canale."

    # Choice questions

    def choose_option(self, question: Question) -> str:
        return (
            f"Tocca uno dei pulsanti della domanda {question.number}, oppure scrivimi il numero della tua "
            f"risposta (da 1 a {len(question.options)})."
        )

    def tap_received(self, option: str) -> str:
        return plain_notice(f"Ricevuta! La tua risposta: {option}")

    def tap_already_answered(self, question: Question, first_answer: str) -> str:
        return plain_notice(
            f"Hai già risposto alla domanda {question.number}: {first_answer}. Vale solo la prima risposta."
        )

    def tap_late(self, question: Question, correct: bool) -> str:
        answer = question.answers[0]
        verdict = f"✅ Esatto! La risposta è {answer}." if correct else f"❌ Sbagliato: la risposta giusta è {answer}."
        return plain_notice(f"{verdict} La domanda però era già chiusa, quindi la risposta non conta.")

    def tap_not_open(self) -> str:
        return "Questa domanda non è ancora aperta: aspetta che compaia sul canale."

    def tap_outdated(self) -> str:
        return "Questo pulsante è di una domanda che non fa più parte del quiz. Scrivimi il codice che vedi sul canale."

    def tap_invalid(self) -> str:
        return "Questo pulsante non è valido. Scrivimi di nuovo il codice della domanda per avere pulsanti nuovi."

    def reset_done(self) -> str:
        return (
            "Fatto: ho azzerato la domanda selezionata e l'eventuale registrazione in corso. "
            "Le risposte che hai già dato restano valide."
        )

    def edited_ignored(self) -> str:
        return "Non leggo i messaggi modificati: per rispondere mandamene uno nuovo."

    def forwarded_ignored(self) -> str:
        return "Non leggo i messaggi inoltrati: per rispondere scrivi tu la risposta in un nuovo messaggio."

    def private_chat_only(self, bot_username: str, payload: str | None) -> str:
        return (
            "Il quiz si gioca solo in chat privata con me. "
            f"Apri {private_chat_link(bot_username, payload)} e continuiamo lì."
        )

    # Registration

    def registration_confirm(self) -> str:
        return (
            "Vuoi registrare una squadra? Ti chiederò il nome e quante persone giocano con te.\n"
            "Rispondi <b>sì</b> per continuare; qualsiasi altra risposta annulla."
        )

    def registration_ask_team_name(self) -> str:
        return f"Come si chiama la squadra? (almeno {TEAM_NAME_MIN_CHARS} caratteri)"

    def registration_team_name_too_short(self) -> str:
        return f"Il nome della squadra deve avere almeno {TEAM_NAME_MIN_CHARS} caratteri. Mandamene uno più lungo:"

    def registration_team_name_too_long(self) -> str:
        return (
            f"Il nome della squadra può avere al massimo {TEAM_NAME_MAX_CHARS} caratteri. "
            "Mandamene uno più corto:"
        )

    def registration_team_name_too_many_code_points(self) -> str:
        return ("Il nome della squadra è troppo lungo da salvare: alcune emoji e lettere accentate sono fatte "
                "di più simboli e contano di più. Mandamene uno più corto:")

    def registration_ask_head_count(self, team_name: str) -> str:
        return (
            f"Quante persone ci sono nella squadra <b>{quote(team_name, MAX_QUOTED_NAME_CHARS)}</b>, contando anche te? "
            f"Scrivi un numero da {HEAD_COUNT_MIN} a {HEAD_COUNT_MAX}."
        )

    def registration_head_count_not_integer(self, text: str) -> str:
        return (
            f"<b>{quote(text)}</b> non è un numero intero. Scrivi in cifre quante persone ci sono nella squadra, "
            f"da {HEAD_COUNT_MIN} a {HEAD_COUNT_MAX}."
        )

    def registration_head_count_out_of_range(self, text: str) -> str:
        return (
            f"Una squadra ha da {HEAD_COUNT_MIN} a {HEAD_COUNT_MAX} persone: tu hai scritto {quote(text)}. "
            f"Scrivi un numero da {HEAD_COUNT_MIN} a {HEAD_COUNT_MAX}."
        )

    def registration_done(self, team_name: str, head_count: int) -> str:
        return (
            f"Fatto! La squadra <b>{quote(team_name, MAX_QUOTED_NAME_CHARS)}</b> è registrata con "
            f"{plural(head_count, 'persona', 'persone')}. "
            "Le tue risposte compariranno con questo nome; per cambiarlo, scrivi di nuovo /register."
        )

    def registration_cancelled(self) -> str:
        return "Registrazione annullata. Per ricominciare scrivi /register."
