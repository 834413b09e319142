"""Build the python-telegram-bot `Bot` that quizkit uses for every call it makes itself."""

from __future__ import annotations

from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

TELEGRAM_API_URL = "https://api.telegram.org/bot"


def api_base_url(api_url: str) -> str:
    """Return python-telegram-bot's `base_url` for a Bot API URL, with or without "/bot" at the end.

    "http://127.0.0.1:8081" (the form `quizkit serve --api-url` takes) and "http://127.0.0.1:8081/bot"
    both become the latter.
    """
    url = api_url.rstrip("/")
    return url if url.endswith("/bot") else url + "/bot"


def masked_token(token: str) -> str:
    """Return the token with its secret part hidden, "123456:***", for logs and messages.

    A malformed token, with no numeric bot id before a colon, is hidden completely.
    """
    bot_id = token.split(":", 1)[0]
    return f"{bot_id}:***" if bot_id.isdecimal() else "***"


def make_bot(
    token: str, api_url: str = TELEGRAM_API_URL, *, rate_limit: bool = True, read_timeout_s: float = 10.0
) -> ExtBot:
    """Return an uninitialised `ExtBot` for `token` that talks to `api_url`.

    A call that gets no response within `read_timeout_s` seconds raises TimedOut (getUpdates has
    its own, longer timeout).

    With `rate_limit`, calls wait to stay within Telegram's flood limits (about 30 messages/s in
    total and 20/min per group or channel) and retry once after a 429. Without it, calls go out at
    once and a 429 still retries once. Rehearsals use that, because the emulator has no flood
    limits unless asked for them.
    """
    api_url = api_base_url(api_url)
    # A local emulator must never be reached through a proxy from the environment.
    local = not api_url.startswith(TELEGRAM_API_URL)
    httpx_kwargs = {"trust_env": False} if local else None
    request = HTTPXRequest(connection_pool_size=64, read_timeout=read_timeout_s, httpx_kwargs=httpx_kwargs)
    updates_request = HTTPXRequest(connection_pool_size=2, read_timeout=40.0, httpx_kwargs=httpx_kwargs)

    if rate_limit:
        limiter = AIORateLimiter(max_retries=1)
    else:
        limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=1)

    return ExtBot(
        token,
        base_url=api_url,
        request=request,
        get_updates_request=updates_request,
        rate_limiter=limiter,
    )
