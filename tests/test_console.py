from quizkit.console import ENGLISH, ITALIAN, console_texts


def test_console_texts_follow_italian_locale():
    assert console_texts({"LANG": "it_IT.UTF-8"}) is ITALIAN


def test_console_texts_lc_all_overrides_lang():
    assert console_texts({"LC_ALL": "en_GB.UTF-8", "LANG": "it_IT.UTF-8"}) is ENGLISH


def test_console_texts_default_to_english():
    assert console_texts({}) is ENGLISH
    assert console_texts({"LANG": "C.UTF-8"}) is ENGLISH
