"""Languages: each participant gets Italian or English by language_code; channel posts follow the event."""

from __future__ import annotations

import pytest

from quizkit.locales import LANGUAGES, EnglishTexts, ItalianTexts, Texts, texts_for
from quizkit.model import MessageKind, Sender
from tests.engine_support import (  # noqa: F401  (pytest fixtures)
    ANNA,
    BRUNO,
    CARLA,
    DARIO,
    ELENA,
    HELP_EN,
    HELP_IT,
    chat,
    chat_it,
    clock,
    outbox_rows,
    quiz,
    quiz_it,
    store,
)

GERMAN = Sender(user_id=120, first_name="Greta", language_code="de")
UGO = Sender(user_id=130, first_name="Ugo", language_code="it")


@pytest.mark.parametrize(
    ("language_code", "default", "expected"),
    [("it", "en", "it"), ("it-IT", "en", "it"), ("IT", "en", "it"), ("en-GB", "it", "en"), ("de", "it", "it"), (None, "en", "en"), ("", "it", "it")],
)
def test_texts_for_language_code(language_code, default, expected):
    assert texts_for(language_code, default).language == expected


def test_languages_implement_every_text():
    for texts in LANGUAGES.values():
        assert isinstance(texts, Texts)
    assert not EnglishTexts.__abstractmethods__
    assert not ItalianTexts.__abstractmethods__


def test_language_italian_participant_english_event(chat):
    assert chat.send(DARIO, "/help") == HELP_IT


def test_language_english_participant_italian_event(chat_it):
    assert chat_it.send(BRUNO, "/help") == HELP_EN


def test_language_other_code_uses_event_language(chat, chat_it):
    assert chat.send(GERMAN, "/help") == HELP_EN
    assert chat_it.send(ELENA, "/help") == HELP_IT


def test_language_channel_posts_follow_event(quiz, chat, store):
    quiz.open_question(1)
    chat.answer(CARLA, "KX1", "Roma")

    quiz.close_question(1)

    assert [row[3].split("\n")[0] for row in outbox_rows(store, quiz.event.id)] == [
        "<b>Question 1</b>",
        "<b>Question 1: results</b>",
        "<b>Question 1</b>",
    ]


def test_language_italian_announcement(quiz_it, store):
    quiz_it.open_question(1)

    assert outbox_rows(store, quiz_it.event.id)[0][3] == (
        "<b>Domanda 1</b>\nCapital of Italy?\n\n"
        "Per rispondere apri https://t.me/quizkit_bot?start=KX1 oppure scrivi il codice <b>KX1</b> a @quizkit_bot."
    )


def test_language_italian_answer_replies(quiz_it, chat_it):
    quiz_it.open_question(1)

    assert chat_it.send(CARLA, "/start KX1") == (
        "<b>Domanda 1</b>\nCapital of Italy?\n\nMandami la tua risposta in un messaggio."
    )
    assert chat_it.send(CARLA, None, kind=MessageKind.STICKER) == (
        "Per rispondere alla domanda 1 mandami un messaggio di testo."
    )
    assert chat_it.send(CARLA, "Roma") == (
        "Ricevuta! La tua risposta alla domanda 1: <b>Roma</b>\n"
        "I risultati usciranno sul canale quando la domanda verrà chiusa."
    )
    assert chat_it.send(CARLA, "Milano") == (
        "Hai già risposto alla domanda 1: <b>Roma</b>\nVale solo la prima risposta."
    )


def test_language_italian_code_replies(quiz_it, chat_it):
    assert chat_it.send(CARLA, "XY9") == (
        "Non c'è nessuna domanda con il codice <b>XY9</b>. "
        "Scrivimi il codice che vedi sul canale (per esempio <b>KX4</b>) o tocca il link della domanda. "
        "Con /help trovi le istruzioni."
    )
    assert chat_it.send(CARLA, "HT2") == (
        "La domanda <b>HT2</b> non è ancora aperta: aspetta che compaia sul canale."
    )


def test_language_italian_closed_question_replies(quiz_it, chat_it):
    quiz_it.open_question(1)
    chat_it.answer(DARIO, "KX1", "Roma")
    chat_it.answer(BRUNO, "KX1", "Torino")
    chat_it.answer(ANNA, "KX1", "Napoli")
    quiz_it.close_question(1)

    assert chat_it.send(CARLA, "KX1") == (
        "<b>Domanda 1</b>\nCapital of Italy?\n\n"
        "Questa domanda è chiusa: puoi ancora rispondere per scoprire se avevi indovinato, "
        "ma la risposta non conterà per la classifica."
    )
    assert chat_it.send(CARLA, "roma!") == (
        "✅ Esatto! La risposta è <b>Roma</b>.\n"
        "La domanda però era già chiusa, quindi la tua risposta non conta per la classifica. "
        "Tra le risposte arrivate in tempo, quelle esatte sono state il 33%."
    )
    assert chat_it.answer(UGO, "KX1", "Milano") == (
        "❌ Sbagliato: la risposta giusta è <b>Roma</b>.\n"
        "La domanda però era già chiusa, quindi la tua risposta non conta per la classifica. "
        "Tra le risposte arrivate in tempo, quelle esatte sono state il 33%."
    )


def test_language_italian_late_nobody_in_time(quiz_it, chat_it):
    quiz_it.open_question(1)
    quiz_it.close_question(1)

    assert chat_it.answer(CARLA, "KX1", "Roma") == (
        "✅ Esatto! La risposta è <b>Roma</b>.\n"
        "La domanda però era già chiusa, quindi la tua risposta non conta per la classifica. "
        "Nessuno aveva risposto in tempo."
    )


def test_language_italian_command_replies(chat_it):
    assert chat_it.send(CARLA, "/reset") == (
        "Fatto: ho azzerato la domanda selezionata e l'eventuale registrazione in corso. "
        "Le risposte che hai già dato restano valide."
    )
    assert chat_it.send(CARLA, "/punti") == f"Non conosco il comando /punti.\n\n{HELP_IT}"
    assert chat_it.send(CARLA, "/stats") == (
        "Ancora nessun risultato: la classifica si riempie quando si chiude la prima domanda."
    )
    assert chat_it.send(CARLA, "Roma", kind=MessageKind.EDITED) == (
        "Non leggo i messaggi modificati: per rispondere mandamene uno nuovo."
    )


def test_language_italian_registration_errors(chat_it):
    chat_it.send(CARLA, "/register")
    assert chat_it.send(CARLA, "no") == "Registrazione annullata. Per ricominciare scrivi /register."

    chat_it.send(CARLA, "/register")
    chat_it.send(CARLA, "certo")
    assert chat_it.send(CARLA, "ab") == (
        "Il nome della squadra deve avere almeno 3 caratteri. Mandamene uno più lungo:"
    )
    assert chat_it.send(CARLA, "x" * 65) == (
        "Il nome della squadra può avere al massimo 64 caratteri. Mandamene uno più corto:"
    )
    chat_it.send(CARLA, "I Gufi")
    assert chat_it.send(CARLA, "cinque") == (
        "<b>cinque</b> non è un numero intero. Scrivi in cifre quante persone ci sono nella squadra, da 1 a 499."
    )
    assert chat_it.send(CARLA, "500") == (
        "Una squadra ha da 1 a 499 persone: tu hai scritto 500. Scrivi un numero da 1 a 499."
    )
    assert chat_it.send(CARLA, "12") == (
        "Fatto! La squadra <b>I Gufi</b> è registrata con 12 persone. "
        "Le tue risposte compariranno con questo nome; per cambiarlo, scrivi di nuovo /register."
    )


def test_language_italian_leaderboard_post(quiz_it, chat_it, clock, store):
    quiz_it.open_question(1)
    quiz_it.open_question(2)
    clock.advance(1.5)
    chat_it.answer(CARLA, "KX1", "Roma")
    chat_it.answer(CARLA, "HT2", "42")
    chat_it.answer(DARIO, "HT2", "42")
    quiz_it.close_question(1)
    quiz_it.close_question(2)

    quiz_it.post_leaderboard()

    assert outbox_rows(store, quiz_it.event.id)[-1][3] == (
        "🏆 <b>Classifica finale</b>\n\n"
        "🥇 Carla: 2 risposte esatte, 3,0 s\n"
        "🥈 Dario: 1 risposta esatta, 1,5 s"
    )
