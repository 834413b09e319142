"""The webhook endpoint: an ASGI app that Telegram (or the emulator) posts updates to."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from quizkit.server._group_commit import GroupCommit
from quizkit.server.processing import StorageFailed, UpdateProcessor, is_update_id, method_call

logger = logging.getLogger("quizkit.server")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024


class _BodyTooLarge(Exception):
    pass


def create_webhook_app(processor: UpdateProcessor, path: str, secret_token: str) -> Starlette:
    """Return the ASGI app serving POST `path` for updates and GET /healthz for monitors.

    An update is acknowledged with 200 only after its effects are committed. The first reply
    travels in the response body: the message to the update's own chat, or for a tap on a button
    its answerCallbackQuery, which stops the client's progress indicator at once. Further replies go
    out through the Bot API; the edit of a tapped message waits in the outbox.
    """
    background: set[asyncio.Task] = set()
    group_commit = GroupCommit(processor)

    async def receive_update(request: Request) -> Response:
        offered = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(offered.encode(), secret_token.encode()):
            return PlainTextResponse("Forbidden: wrong or missing secret token", status_code=403)

        try:
            body = await _read_body(request)
        except _BodyTooLarge:
            return PlainTextResponse(f"Request body exceeds {MAX_BODY_BYTES} bytes", status_code=413)
        except ClientDisconnect:
            logger.debug("Webhook client disconnected before sending the whole body")
            return Response(status_code=400)

        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return PlainTextResponse("Invalid JSON", status_code=400)

        # Anything that is not an update is acknowledged and ignored, so Telegram does not retry it.
        if not isinstance(data, dict) or not is_update_id(data.get("update_id")):
            processor.reject(f"webhook body is not an update ({type(data).__name__})")
            return Response(status_code=200)
        try:
            replies = await group_commit.process(data)
        except StorageFailed:
            return PlainTextResponse("Storage failed; deliver again later", status_code=500)

        if not replies:
            return Response(status_code=200)
        for extra in replies[1:]:
            task = asyncio.create_task(processor.send(extra))
            background.add(task)
            task.add_done_callback(background.discard)
        return JSONResponse(method_call(replies[0]))

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[
        Route(path, receive_update, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ])


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _BodyTooLarge()

    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)

