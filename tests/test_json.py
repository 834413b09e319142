"""The webhook's JSON: orjson's result, or the standard library's where orjson refuses the input."""

from __future__ import annotations

import json

import pytest

from quizkit import _json


def test_loads_reads_update_bytes():
    body = '{"update_id": 7, "message": {"text": "Perché? 🇮🇹"}}'.encode()

    assert _json.loads(body) == {"update_id": 7, "message": {"text": "Perché? 🇮🇹"}}


def test_loads_replaces_lone_surrogates_everywhere():
    body = b'{"text": "Ro\\ud800me", "names": ["\\udfffEve"], "\\ud83d": 1}'

    assert _json.loads(body) == {"text": "Ro\ufffdme", "names": ["\ufffdEve"], "\ufffd": 1}


def test_loads_keeps_escaped_surrogate_pairs():
    assert _json.loads(b'{"text": "\\ud83c\\udf89"}') == {"text": "🎉"}


def test_loads_reads_64_bit_ids_as_ints():
    assert _json.loads(b'{"id": 9223372036854775807}') == {"id": 2**63 - 1}


@pytest.mark.parametrize("body, error", [
    (b"{", json.JSONDecodeError),
    (b"", json.JSONDecodeError),
    (b"\xff\xfe\x00", (json.JSONDecodeError, UnicodeDecodeError)),
    (b"[" * 100_000, RecursionError),
])
def test_loads_raises_what_json_raises(body, error):
    with pytest.raises(error):
        _json.loads(body)


def test_dumps_writes_utf8():
    assert _json.dumps({"text": "è 🎉"}) == '{"text":"è 🎉"}'.encode()


def test_dumps_escapes_a_value_with_a_lone_surrogate():
    encoded = _json.dumps({"text": "a\ud800b è"})

    assert encoded == b'{"text":"a\\ud800b \\u00e8"}'
    assert json.loads(encoded) == {"text": "a\ud800b è"}
