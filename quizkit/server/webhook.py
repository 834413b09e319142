"""The webhook endpoint: what Telegram (or the emulator) posts updates to, and GET /healthz.

It runs on quizkit's own HTTP server (quizkit.server._http), which hands it each request and a
function to respond with.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from http import HTTPStatus

from quizkit import _json
from quizkit.model import Outgoing
from quizkit.server._group_commit import GroupCommit
from quizkit.server._http import Request, Response
from quizkit.server.processing import StorageFailed, UpdateProcessor, is_update_id, method_call

logger = logging.getLogger("quizkit.server")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024
HEALTH_PATH = "/healthz"

_SECRET_HEADER_KEY = SECRET_HEADER.lower().encode("latin-1")
_JSON = b"application/json"
_TEXT = b"text/plain; charset=utf-8"

_EMPTY_OK = Response(HTTPStatus.OK)
_HEALTHY = Response(HTTPStatus.OK, b'{"ok":true}', _JSON)
_FORBIDDEN = Response(HTTPStatus.FORBIDDEN, b"Forbidden: wrong or missing secret token", _TEXT)
_INVALID_JSON = Response(HTTPStatus.BAD_REQUEST, b"Invalid JSON", _TEXT)
_STORAGE_FAILED = Response(HTTPStatus.INTERNAL_SERVER_ERROR, b"Storage failed; deliver again later", _TEXT)
_NOT_FOUND = Response(HTTPStatus.NOT_FOUND, b"Not Found", _TEXT)
_POST_ONLY = Response(HTTPStatus.METHOD_NOT_ALLOWED, b"Method Not Allowed: post updates here", _TEXT,
                      ((b"allow", b"POST"),))
_GET_ONLY = Response(HTTPStatus.METHOD_NOT_ALLOWED, b"Method Not Allowed: use GET", _TEXT,
                     ((b"allow", b"GET, HEAD"),))


class Webhook:
    """Serve POST `path` for updates and GET /healthz for monitors.

    An update is acknowledged with 200 only after its effects are committed. The first reply
    travels in the response body: the message to the update's own chat, or for a tap on a button
    its answerCallbackQuery, which stops the client's progress indicator at once. Further replies go
    out through the Bot API; the edit of a tapped message waits in the outbox.
    """

    def __init__(self, processor: UpdateProcessor, path: str, secret_token: str) -> None:
        self._processor = processor
        self._path = path
        self._secret = secret_token.encode()
        self._group_commit = GroupCommit(processor)
        self._background: set[asyncio.Task] = set()

    def __call__(self, request: Request, respond: Callable[[Response], None]) -> None:
        """Respond to `request` through `respond`: at once, or for an update once it is committed."""
        if request.path == self._path:
            if request.method != "POST":
                respond(_POST_ONLY)
                return
            self._receive_update(request, respond)
        elif request.path == HEALTH_PATH:
            respond(_HEALTHY if request.method in ("GET", "HEAD") else _GET_ONLY)
        else:
            respond(_NOT_FOUND)

    def _receive_update(self, request: Request, respond: Callable[[Response], None]) -> None:
        offered = request.headers.get(_SECRET_HEADER_KEY, b"")
        if not hmac.compare_digest(offered, self._secret):
            respond(_FORBIDDEN)
            return

        try:
            data = _json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            respond(_INVALID_JSON)
            return

        # Anything that is not an update is acknowledged and ignored, so Telegram does not retry it.
        if type(data) is not dict or not is_update_id(data.get("update_id")):
            self._processor.reject(f"webhook body is not an update ({type(data).__name__})")
            respond(_EMPTY_OK)
            return
        self._group_commit.submit(data, lambda outcome: respond(self._response(outcome)))

    def _response(self, outcome: list[Outgoing] | StorageFailed) -> Response:
        if isinstance(outcome, StorageFailed):
            return _STORAGE_FAILED
        if not outcome:
            return _EMPTY_OK
        for extra in outcome[1:]:
            task = asyncio.create_task(self._processor.send(extra))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return Response(HTTPStatus.OK, _json.dumps(method_call(outcome[0])), _JSON)
