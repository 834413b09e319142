"""Request parameters of Bot API calls: decoding the body and reading typed values.

Telegram accepts parameters in the query string, as JSON, as `application/x-www-form-urlencoded`
or as `multipart/form-data`. python-telegram-bot 22 posts form bodies whose non-string values
are JSON-encoded (`chat_id=42`, `reply_markup={"inline_keyboard": ...}`), so form values are
strings that each method reads with the type it expects. Forms are parsed with the standard
library, which keeps python-multipart out of quizkit's dependencies.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from quizkit.emulator._errors import bad_request

_TRUE_WORDS = frozenset({"true", "1"})


@dataclass(frozen=True)
class UploadedFile:
    """A file sent in a multipart body, such as a photo or a webhook certificate."""

    filename: str | None
    content_type: str
    data: bytes

    def describe(self) -> dict[str, Any]:
        """Return what the call log keeps of the file: its name, type and size, not its bytes."""
        return {"filename": self.filename, "content_type": self.content_type, "size": len(self.data)}


def decode_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Return the parameters in a request body, with uploaded files as UploadedFile values.

    Raises ApiError 400 when the body does not match its Content-Type header.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if media_type == "application/json":
        return _decode_json(body)
    if media_type == "multipart/form-data":
        return _decode_multipart(content_type, body)
    # Telegram reads any other body as a urlencoded form, which is what clients send by default.
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _decode_json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        raise bad_request("can't parse JSON object") from None
    if not isinstance(value, dict):
        raise bad_request("JSON object expected")
    return value


def _decode_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise bad_request("can't parse multipart/form-data body")

    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            params[name] = UploadedFile(filename, part.get_content_type(), data)
        else:
            params[name] = data.decode(part.get_content_charset() or "utf-8", errors="replace")
    return params


class Params:
    """Typed access to one call's parameters. `logged()` returns them as the methods read them."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw
        self._typed: dict[str, Any] = {}

    def has(self, name: str) -> bool:
        return name in self._raw and self._raw[name] is not None

    def string(self, name: str, default: str | None = None) -> str | None:
        """Return the parameter as text. Numbers from JSON bodies become their decimal text."""
        if not self.has(name):
            return default
        value = self._raw[name]
        text = value if isinstance(value, str) else json.dumps(value)
        return self._keep(name, text)

    def integer(self, name: str, default: int | None = None) -> int | None:
        """Return the parameter as an int, or raise ApiError 400 naming it when it is not an integer."""
        if not self.has(name):
            return default
        value = self._raw[name]
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None
        return self._keep(name, number)

    def boolean(self, name: str, default: bool = False) -> bool:
        """Return the parameter as a bool. As on Telegram, any text but "true" or "1" is false."""
        if not self.has(name):
            return default
        value = self._raw[name]
        flag = value if isinstance(value, bool) else str(value).strip().lower() in _TRUE_WORDS
        return self._keep(name, flag)

    def json(self, name: str, *, error: str) -> Any:
        """Return the parameter decoded from JSON, or raise ApiError 400 with `error` when it is invalid."""
        if not self.has(name):
            return None
        value = self._raw[name]
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return self._keep(name, value)

    def file(self, name: str) -> UploadedFile | None:
        value = self._raw.get(name)
        if isinstance(value, UploadedFile):
            self._typed[name] = value.describe()
            return value
        return None

    def logged(self) -> dict[str, Any]:
        """Return every parameter, typed where a method read it and as received otherwise."""
        logged: dict[str, Any] = {}
        for name, value in self._raw.items():
            if name in self._typed:
                logged[name] = self._typed[name]
            elif isinstance(value, UploadedFile):
                logged[name] = value.describe()
            else:
                logged[name] = value
        return logged

    def _keep(self, name: str, value: Any) -> Any:
        self._typed[name] = value
        return value

