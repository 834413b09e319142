"""JSON for the webhook's hot path: orjson where it can, the standard library where orjson rejects the input.

orjson is faster on the small objects of an update and its reply. On this project's 2-core machine
it decoded a typical update in 0.8 µs against 3.6 µs and encoded a reply in 0.13 µs against 2.8 µs.
It rejects strings with a lone surrogate (escaped as \\ud800), which a real update is not expected
to contain, since Telegram's texts are valid Unicode. Such a forged update is decoded by `json`
instead, and each lone surrogate becomes U+FFFD REPLACEMENT CHARACTER, because neither SQLite nor a
reply could carry it. One difference stays: orjson reads an integer beyond 64 bits as a float, and
`json` as an int. Both are rejected where quizkit reads ids, which must be ints below 2**63 (see
quizkit.bot.incoming).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(data: bytes | str) -> Any:
    """Decode JSON text, with lone surrogates replaced by U+FFFD.

    Raises json.JSONDecodeError, UnicodeDecodeError or RecursionError as `json.loads` does.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return _without_lone_surrogates(json.loads(data))


def dumps(value: Any) -> bytes:
    """Encode `value` as compact UTF-8 JSON.

    A string with a lone surrogate cannot be UTF-8, so such a value is written with ASCII escapes.
    """
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def _without_lone_surrogates(value: Any) -> Any:
    # `json` has already joined each valid surrogate pair into one character, so any left are lone.
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(key): _without_lone_surrogates(item) for key, item in value.items()}
    return value
