from quizkit.console import ENGLISH, ENGLISH_HOST, ITALIAN, ITALIAN_HOST, console_texts, host_error_text


def test_console_texts_follow_italian_locale():
    assert console_texts({"LANG": "it_IT.UTF-8"}) is ITALIAN


def test_console_texts_lc_all_overrides_lang():
    assert console_texts({"LC_ALL": "en_GB.UTF-8", "LANG": "it_IT.UTF-8"}) is ENGLISH


def test_console_texts_default_to_english():
    assert console_texts({}) is ENGLISH
    assert console_texts({"LANG": "C.UTF-8"}) is ENGLISH


def test_host_error_in_italian_names_values():
    text = host_error_text(ITALIAN_HOST, "unreachable", {"url": "http://127.0.0.1:9", "detail": "refused"}, "English")

    assert text == ("Nessun server quizkit risponde a http://127.0.0.1:9 (refused); `quizkit serve` è in funzione "
                    "per questo database?")


def test_host_error_in_english_keeps_message():
    assert host_error_text(ENGLISH_HOST, "unreachable", {"url": "u", "detail": "d"}, "No quizkit server") == (
        "No quizkit server")


def test_host_error_without_its_values_keeps_message():
    # A template naming a value the error lacks falls back to the English message, not a KeyError.
    assert host_error_text(ITALIAN_HOST, "not_found", {}, "Question 9 not found") == "Question 9 not found"


def test_every_italian_host_error_has_a_reason():
    reasons = {"missing_database", "database_is_folder", "no_control_file", "bad_control_file", "off_loopback", "unreachable", "token",
               "not_found", "wrong_state_open", "wrong_state_close", "invalid", "failed"}

    assert set(ITALIAN_HOST.errors) == reasons
