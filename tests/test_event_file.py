"""Event files: parsing, the message for each invalid key or value, and creating the event from one."""

from __future__ import annotations

import textwrap

import pytest

from quizkit.errors import InvalidEvent, InvalidEventFile, InvalidQuestion
from quizkit.event_file import load_event_file, parse_event_file
from quizkit.event_setup import open_event
from quizkit.store import Store

FULL = textwrap.dedent("""\
    name = "codeweek"
    language = "it"
    channel = -1001234567890
    bot_username = "@quizkit_test_bot"
    podium_size = 5
    max_connections = 80

    [[questions]]
    code = "IY1"
    text = "Capital of Italy?"
    answers = ["Roma", "Rome"]
    time_limit_s = 60

    [[questions]]
    kind = "number"
    text = "Six times seven?"
    answers = ["42"]
    tolerance = 0.5

    [[questions]]
    kind = "choice"
    text = "Colour of the sky?"
    options = ["Red", "Blue", "Green"]
    answers = ["blue"]
""")

HEAD = 'name = "quiz"\nlanguage = "en"\n'
QUESTION = '[[questions]]\ntext = "Capital of Italy?"\n'


def test_event_file_full_example():
    event = parse_event_file(FULL, "codeweek.toml")

    assert event.name == "codeweek"
    assert event.language == "it"
    assert event.channel_id == -1001234567890
    assert event.bot_username == "quizkit_test_bot"
    assert event.podium_size == 5
    assert event.max_connections == 80
    first, second, third = event.questions
    assert (first.number, first.code, first.kind, first.answers, first.time_limit_s) == (
        1, "IY1", "text", ("Roma", "Rome"), 60)
    assert second.engine_answers() == ("42 ± 0.5",)
    assert (third.kind, third.options, third.answers) == ("choice", ("Red", "Blue", "Green"), ("blue",))


def test_event_file_defaults():
    event = parse_event_file(HEAD + QUESTION)

    assert event.channel_id is None
    assert event.bot_username is None
    assert event.podium_size == 3
    assert event.max_connections == 40
    assert event.questions[0].kind == "text"
    assert event.questions[0].code is None
    assert event.questions[0].answers == ()


@pytest.mark.parametrize("text, expected", [
    ('language = "en"\n' + QUESTION, "top level: key 'name' is missing or empty (None); write it as name = \"codeweek\"."),
    ('name = "quiz"\nlanguage = "fr"\n' + QUESTION, "key 'language': 'fr' is not supported; write language = \"it\""),
    (HEAD, "key 'questions': the event has no questions; add at least one [[questions]] table"),
    (HEAD + 'token = "123456:ABC"\n' + QUESTION, "top level: key 'token' is not allowed: the bot token never goes in"),
    (HEAD + 'bot_token = "x"\n' + QUESTION, "key 'bot_token' is not allowed"),
    (HEAD + 'chanel = -100\n' + QUESTION, "key 'chanel' is unknown; did you mean 'channel'? keys allowed here: name,"),
    (HEAD + 'channel = "@quiz"\n' + QUESTION, "key 'channel': '@quiz' is not a channel id; write the channel's numeric id"),
    (HEAD + 'channel = 42\n' + QUESTION, "42 is not a channel id"),
    (HEAD + 'bot_username = "bot"\n' + QUESTION, "key 'bot_username': 'bot' is not a Telegram username"),
    (HEAD + 'podium_size = 0\n' + QUESTION, "podium_size = 0 is invalid; write a whole number from 1 to 20, such as podium_size = 3."),
    (HEAD + 'scoring = "yes"\n' + QUESTION, "scoring = 'yes' is invalid; write scoring = true or scoring = false, without quotes."),
    (HEAD + 'leaderboard = 0\n' + QUESTION, "leaderboard = 0 is invalid; write leaderboard = true or leaderboard = false"),
    (HEAD + 'podium_size = true\n' + QUESTION, "podium_size = True is invalid"),
    (HEAD + 'max_connections = 101\n' + QUESTION, "max_connections = 101 is invalid; write a whole number from 1 to 100"),
    (HEAD + '[[questions]]\ntext = ""\n', "question 1: key 'text' is missing or empty (''); write it as text = "),
    (HEAD + QUESTION + 'anwsers = ["Roma"]\n', "question 1: key 'anwsers' is unknown; did you mean 'answers'?"),
    (HEAD + QUESTION + 'token = "x"\n', "question 1: key 'token' is not allowed"),
    (HEAD + QUESTION + 'kind = "open"\n', "question 1: kind = 'open' is not supported; write kind = \"text\", \"number\""),
    (HEAD + QUESTION + 'answers = "Roma"\n', "question 1: answers = 'Roma' is not a list; write answers = [\"Roma\", \"Rome\"]"),
    (HEAD + QUESTION + 'answers = [""]\n', "question 1: Accepted answer '' of question 1 is empty or not text"),
    (HEAD + QUESTION + 'code = "I Y"\n', "question 1 (code 'I Y'): Question code 'I Y' is invalid: a code is 1 to 64"),
    (HEAD + QUESTION + 'code = "register"\n', "Question code 'register' is reserved"),
    (HEAD + QUESTION + 'time_limit_s = 0\n', "question 1: time_limit_s = 0 is invalid; write a whole number from 1 to 86400, such as time_limit_s = 60."),
    (HEAD + QUESTION + 'time_limit_s = 1.5\n', "time_limit_s = 1.5 is invalid"),
    (HEAD + QUESTION + 'tolerance = 1\n', "question 1: tolerance is only for number questions"),
    (HEAD + QUESTION + 'options = ["a", "b"]\n', "question 1: options are only for choice questions"),
    (HEAD + QUESTION + 'kind = "number"\nanswers = ["many"]\n', "Accepted answer 'many' of question 1 is not a number"),
    (HEAD + QUESTION + 'kind = "number"\nanswers = ["42"]\ntolerance = -1\n', "tolerance = -1 is invalid; write a number of 0 or more"),
    (HEAD + QUESTION + 'kind = "number"\nanswers = ["42"]\ntolerance = nan\n', "tolerance = nan is invalid"),
    (HEAD + QUESTION + 'kind = "number"\nanswers = ["42 ± 1"]\ntolerance = 1\n', "answer '42 ± 1' has its own tolerance"),
    (HEAD + QUESTION + 'kind = "choice"\noptions = ["a"]\n', "options = ['a'] is invalid; a choice question needs 2 to 10 options"),
    (HEAD + QUESTION + 'kind = "choice"\n', "options = None is invalid"),
    (HEAD + QUESTION + 'kind = "choice"\noptions = ["Sì", "si"]\n', "option 'si' appears twice"),
    (HEAD + QUESTION + 'kind = "choice"\noptions = ["a", 3]\n', "option 3 is invalid"),
    (HEAD + QUESTION + 'kind = "choice"\noptions = ["a", "b"]\nanswers = ["c"]\n', "answer 'c' is not one of the options ['a', 'b']"),
    (HEAD + QUESTION + 'code = "AB1"\n' + QUESTION + 'code = "ab1"\n', "question 2 (code 'ab1'): the code is already used by question 1"),
    (HEAD + "questions = [1]\n", "question 1: is not a table"),
    (HEAD + "[[questions]\n", "invalid TOML: "),
])
def test_event_file_invalid_value_message(text, expected):
    with pytest.raises(InvalidEventFile) as error:
        parse_event_file(text, "quiz.toml")

    assert str(error.value).startswith("quiz.toml: ")
    assert expected in str(error.value)


def test_event_file_token_value_not_in_message():
    secret = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

    with pytest.raises(InvalidEventFile) as error:
        parse_event_file(HEAD + f'token = "123456:{secret}"\n' + QUESTION, "quiz.toml")

    assert secret not in str(error.value)


def test_event_file_missing(tmp_path):
    with pytest.raises(InvalidEventFile, match=r"Event file '.*nothing.toml' not found; check the path"):
        load_event_file(tmp_path / "nothing.toml")


def test_event_file_folder(tmp_path):
    with pytest.raises(InvalidEventFile, match="cannot be read: Is a directory"):
        load_event_file(tmp_path)


def test_event_file_not_utf8(tmp_path):
    path = tmp_path / "quiz.toml"
    path.write_bytes(HEAD.encode() + b'# caf\xe9\n' + QUESTION.encode())

    with pytest.raises(InvalidEventFile, match=r"quiz.toml: line 3 is not valid UTF-8; save the file as UTF-8."):
        load_event_file(path)


def _write(tmp_path, text: str):
    path = tmp_path / "quiz.toml"
    path.write_text(text, encoding="utf-8")
    return load_event_file(path)


def test_open_event_creates_then_reloads(tmp_path):
    text = HEAD + QUESTION + 'answers = ["Rome"]\n' + '[[questions]]\ntext = "Six times seven?"\nkind = "number"\n' \
        'answers = ["42"]\ntolerance = 0.5\ncode = "KX2"\n'
    event_file = _write(tmp_path, text)
    store = Store(tmp_path / "quiz.db")
    try:
        created = open_event(store, event_file, "quizkit_test_bot")
        codes = [question.code for question in created.questions()]
        reloaded = open_event(store, event_file, "quizkit_test_bot")
        questions = reloaded.questions()
    finally:
        store.close()

    assert reloaded.event.id == created.event.id
    assert [question.code for question in questions] == codes
    assert codes[1] == "KX2"
    assert questions[1].answers == ("42 ± 0.5",)
    assert questions[1].kind == "number"


def test_open_event_appends_new_questions(tmp_path):
    store = Store(tmp_path / "quiz.db")
    try:
        open_event(store, _write(tmp_path, HEAD + QUESTION), "quizkit_test_bot")
        engine = open_event(store, _write(tmp_path, HEAD + QUESTION + '[[questions]]\ntext = "Next?"\n'),
                            "quizkit_test_bot")
        texts = [question.text for question in engine.questions()]
    finally:
        store.close()

    assert texts == ["Capital of Italy?", "Next?"]


@pytest.mark.parametrize("changed, expected", [
    (HEAD + '[[questions]]\ntext = "Capital of France?"\n', "question 1 differs from the stored one, which has text 'Capital of Italy?'"),
    (HEAD + QUESTION + 'answers = ["Rome"]\n', "which has answers []"),
    ('name = "quiz"\nlanguage = "it"\n' + QUESTION, "event 'quiz' is stored with language 'en', but now language is 'it'"),
    (HEAD + 'channel = -1002\n' + QUESTION, "stored with channel None, but now channel is -1002"),
])
def test_open_event_rejects_changed_file(tmp_path, changed, expected):
    store = Store(tmp_path / "quiz.db")
    try:
        open_event(store, _write(tmp_path, HEAD + QUESTION + '[[questions]]\ntext = "Second?"\n'), "quizkit_test_bot")
        with pytest.raises(InvalidEventFile) as error:
            open_event(store, _write(tmp_path, changed + '[[questions]]\ntext = "Second?"\n'), "quizkit_test_bot")
    finally:
        store.close()

    assert expected in str(error.value)
    assert "write another name" in str(error.value)


def test_open_event_keeps_answers_given_at_close(tmp_path):
    # A restart with the same file (systemd's Restart=on-failure) after `host close 1 --answer Rome`.
    event_file = _write(tmp_path, HEAD + QUESTION + '[[questions]]\ntext = "Second?"\n')
    store = Store(tmp_path / "quiz.db")
    try:
        engine = open_event(store, event_file, "quizkit_test_bot")
        engine.open_question(1)
        engine.close_question(1, ["Rome"])
        engine.open_question(2)

        reloaded = open_event(store, event_file, "quizkit_test_bot")
        answers = [question.answers for question in reloaded.questions()]
    finally:
        store.close()

    assert answers == [("Rome",), ()]


def test_open_event_rejects_removed_question(tmp_path):
    store = Store(tmp_path / "quiz.db")
    try:
        open_event(store, _write(tmp_path, HEAD + QUESTION + '[[questions]]\ntext = "Second?"\n'), "quizkit_test_bot")
        with pytest.raises(InvalidEventFile, match="has 2 questions but the file has 1"):
            open_event(store, _write(tmp_path, HEAD + QUESTION), "quizkit_test_bot")
    finally:
        store.close()


def test_open_event_rejects_other_bot(tmp_path):
    store = Store(tmp_path / "quiz.db")
    try:
        open_event(store, _write(tmp_path, HEAD + QUESTION), "quizkit_test_bot")
        with pytest.raises(InvalidEventFile, match="stored with bot_username 'quizkit_test_bot', but now "
                                                   "bot_username is 'other_test_bot'"):
            open_event(store, _write(tmp_path, HEAD + QUESTION), "other_test_bot")
    finally:
        store.close()


def test_open_event_passes_every_setting_to_the_engine(tmp_path):
    text = FULL.replace('bot_username = "@quizkit_test_bot"\n', 'scoring = true\nleaderboard = false\n')
    store = Store(tmp_path / "quiz.db")
    try:
        engine = open_event(store, _write(tmp_path, text), "quizkit_test_bot")
        event = engine.event
        first, _, third = engine.questions()
    finally:
        store.close()

    assert (event.podium_size, event.scoring, event.leaderboard) == (5, True, False)
    assert (first.time_limit_s, first.answers) == (60, ("Roma", "Rome"))
    assert (third.kind, third.options) == ("choice", ("Red", "Blue", "Green"))


def test_open_event_applies_changed_settings(tmp_path):
    store = Store(tmp_path / "quiz.db")
    try:
        open_event(store, _write(tmp_path, HEAD + QUESTION), "quizkit_test_bot")
        engine = open_event(store, _write(tmp_path, HEAD + "podium_size = 10\nscoring = true\n" + QUESTION),
                            "quizkit_test_bot")
        reloaded = open_event(store, _write(tmp_path, HEAD + "podium_size = 10\nscoring = true\n" + QUESTION),
                              "quizkit_test_bot")
    finally:
        store.close()

    assert (engine.event.podium_size, engine.event.scoring, engine.event.leaderboard) == (10, True, True)
    assert reloaded.event.podium_size == 10


@pytest.mark.parametrize("changed, expected", [
    ('kind = "choice"\noptions = ["Red", "Green"]\n', "options ['Red', 'Blue']"),
    ('kind = "choice"\noptions = ["Red", "Blue"]\ntime_limit_s = 30\nanswers = ["Blue"]\n', "time_limit_s None"),
])
def test_open_event_rejects_changed_options_or_time_limit(tmp_path, changed, expected):
    choice = HEAD + '[[questions]]\ntext = "Sky?"\nkind = "choice"\noptions = ["Red", "Blue"]\nanswers = ["Blue"]\n'
    store = Store(tmp_path / "quiz.db")
    try:
        open_event(store, _write(tmp_path, choice), "quizkit_test_bot")
        with pytest.raises(InvalidEventFile) as error:
            open_event(store, _write(tmp_path, HEAD + '[[questions]]\ntext = "Sky?"\n' + changed), "quizkit_test_bot")
    finally:
        store.close()

    assert expected in str(error.value)


def test_open_event_engine_error_creates_nothing(tmp_path):
    text = HEAD + QUESTION + '[[questions]]\ntext = "Quick?"\ntime_limit_s = 30\n'
    store = Store(tmp_path / "quiz.db")
    try:
        with pytest.raises(InvalidQuestion, match="time limit"):
            open_event(store, _write(tmp_path, text), "quizkit_test_bot")
        names = store.event_names()
    finally:
        store.close()

    assert names == []


def test_open_event_invalid_username_creates_nothing(tmp_path):
    store = Store(tmp_path / "quiz.db")
    try:
        with pytest.raises(InvalidEvent, match="Bot username 'not a username' is invalid"):
            open_event(store, _write(tmp_path, HEAD + QUESTION), "not a username")
        names = store.event_names()
    finally:
        store.close()

    assert names == []
