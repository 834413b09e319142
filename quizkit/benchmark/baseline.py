"""The baseline: a plain python-telegram-bot quiz bot, as one would write it without quizkit.

It keeps quizkit's quiz rules in a few handlers: `/start CODE` or a typed code selects a question,
the first text after it is the answer (later ones are told their first answer), `/register` asks
for a team name and a head count, `/help` explains, anything else gets a hint. It stores in SQLite
with one commit per update, runs on python-telegram-bot's built-in webhook server
(`Application.run_webhook`, Tornado) with the library's defaults, and replies through
`bot.send_message`. Run it in its own process:

    python -m quizkit.benchmark.baseline QUESTIONS_JSON DB PORT API_URL SECRET

`QUESTIONS_JSON` is a list of {"code": ..., "answers": [...], "text": ...}; the token comes from
the QUIZKIT_BOT_TOKEN environment variable.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from quizkit.answers import normalise

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id INTEGER PRIMARY KEY, name TEXT, selected TEXT, step TEXT, team TEXT, head_count INTEGER
);
CREATE TABLE IF NOT EXISTS answers (
    code TEXT, user_id INTEGER, update_id INTEGER, text TEXT, PRIMARY KEY (code, user_id)
);
"""


class QuizBot:
    """The handlers and their SQLite state."""

    def __init__(self, questions: list[dict], db_path: str) -> None:
        self.questions = {question["code"].upper(): question for question in questions}
        self.db = sqlite3.connect(db_path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    def _user(self, update: Update) -> tuple:
        user = update.effective_user
        self.db.execute("INSERT OR IGNORE INTO users (user_id, name) VALUES (?, ?)", (user.id, user.full_name))
        return self.db.execute("SELECT selected, step FROM users WHERE user_id = ?", (user.id,)).fetchone()

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._user(update)
        if context.args and context.args[0].lower() == "register":
            await self.register(update, context)
            return
        if context.args:
            await self._select(update, context.args[0])
            return
        self.db.commit()
        await update.effective_chat.send_message("Benvenuto! Tocca il link di una domanda o scrivimi il suo codice.")

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._user(update)
        self.db.commit()
        await update.effective_chat.send_message("Tocca il link di una domanda sul canale, poi scrivimi la risposta.")

    async def register(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._user(update)
        self.db.execute("UPDATE users SET step = 'confirm' WHERE user_id = ?", (update.effective_user.id,))
        self.db.commit()
        await update.effective_chat.send_message("Vuoi registrare una squadra? Rispondi sì o no.")

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        selected, step = self._user(update)
        text = update.message.text
        if step is not None:
            await self._registration(update, step, text)
        elif selected is None:
            await self._select(update, text)
        else:
            await self._answer(update, selected, text)

    async def other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self._user(update)
        self.db.commit()
        await update.effective_chat.send_message("Mandami la risposta come messaggio di testo.")

    async def _select(self, update: Update, code: str) -> None:
        question = self.questions.get(code.strip().upper())
        if question is None:
            self.db.commit()
            await update.effective_chat.send_message(f"Non c'è nessuna domanda con il codice {code}.")
            return
        self.db.execute("UPDATE users SET selected = ? WHERE user_id = ?", (question["code"], update.effective_user.id))
        self.db.commit()
        await update.effective_chat.send_message(question["text"])

    async def _answer(self, update: Update, code: str, text: str) -> None:
        stored = self.db.execute(
            "INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?)", (code, update.effective_user.id, update.update_id, text)
        ).rowcount
        first = self.db.execute("SELECT text FROM answers WHERE code = ? AND user_id = ?",
                                (code, update.effective_user.id)).fetchone()[0]
        self.db.commit()
        reply = f"Ricevuta! La tua risposta: {text}" if stored else f"Hai già risposto: {first}"
        await update.effective_chat.send_message(reply)

    async def _registration(self, update: Update, step: str, text: str) -> None:
        user_id = update.effective_user.id
        if step == "confirm":
            accepted = normalise(text) in ("si", "ok", "certo", "yes", "sure", "y")
            self.db.execute("UPDATE users SET step = ? WHERE user_id = ?", ("team" if accepted else None, user_id))
            reply = "Come si chiama la squadra?" if accepted else "Registrazione annullata."
        elif step == "team":
            valid = len(text.strip()) >= 3
            if valid:
                self.db.execute("UPDATE users SET step = 'count', team = ? WHERE user_id = ?", (text.strip(), user_id))
            reply = "Quante persone siete?" if valid else "Il nome deve avere almeno 3 caratteri."
        else:
            count = int(text) if text.strip().isdigit() else 0
            valid = 1 <= count <= 499
            if valid:
                self.db.execute("UPDATE users SET step = NULL, head_count = ? WHERE user_id = ?", (count, user_id))
            reply = "Squadra registrata!" if valid else "Scrivi un numero da 1 a 499."
        self.db.commit()
        await update.effective_chat.send_message(reply)


def main(questions_path: str, db_path: str, port: int, api_url: str, secret: str) -> None:
    bot = QuizBot(json.loads(open(questions_path, encoding="utf-8").read()), db_path)
    application = (Application.builder().token(os.environ["QUIZKIT_BOT_TOKEN"])
                   .base_url(f"{api_url}/bot").build())
    application.add_handler(CommandHandler("start", bot.start, filters.UpdateType.MESSAGE))
    application.add_handler(CommandHandler("help", bot.help, filters.UpdateType.MESSAGE))
    application.add_handler(CommandHandler("register", bot.register, filters.UpdateType.MESSAGE))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, bot.text))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~filters.TEXT, bot.other))
    application.run_webhook(listen="127.0.0.1", port=port, url_path="webhook", secret_token=secret,
                            webhook_url=f"http://127.0.0.1:{port}/webhook")


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit("usage: python -m quizkit.benchmark.baseline QUESTIONS_JSON DB PORT API_URL SECRET")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
