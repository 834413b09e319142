from quizkit.bot.telegram import masked_token


def test_masked_token_keeps_bot_id_only():
    assert masked_token("123456789:AAEsecretpart") == "123456789:***"


def test_masked_token_hides_malformed_token():
    assert masked_token("notatoken") == "***"
    assert masked_token("abc:def") == "***"
