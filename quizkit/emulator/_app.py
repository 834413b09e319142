"""The emulator's ASGI app: the Bot API under /bot<token>/<method> and control endpoints under /_emulator.

Control endpoints let another process drive the emulator as the Python API does. They respond
with the Bot API envelope, `{"ok": true, "result": ...}` or `{"ok": false, "error_code": ...,
"description": ...}`:

    GET  /_emulator/health                                  -> {"bots": N}
    POST /_emulator/bots           {"token", "username", "first_name"?}
    POST /_emulator/channels       {"token", "chat_id", "title", "bot_is_admin"?, "admin_rights"?}
    POST /_emulator/bot<token>/send_text       {"user": {"user_id", "first_name", ...}, "text", "chat_id"?}
    POST /_emulator/bot<token>/send_update     an update payload without update_id  -> update_id
                                               (?unfiltered=true: any update type, allowed_updates ignored)
    POST /_emulator/bot<token>/redeliver       {"update_ids": [...]}                  -> how many were queued
    POST /_emulator/bot<token>/wait_delivered?timeout=S                              -> true or false
    POST /_emulator/bot<token>/faults          {"kind", "method"?, "chat_id"?, "count"?, "retry_after"?,
                                                "delay_s"?, "status"?}  (see quizkit.emulator._faults)
    GET  /_emulator/bot<token>/faults                                              -> the faults left
    DELETE /_emulator/bot<token>/faults                                            -> how many were left
    POST /_emulator/bot<token>/block           {"user": {...}}  -> the my_chat_member update_id
    POST /_emulator/bot<token>/unblock         {"user": {...}}  -> the my_chat_member update_id
    GET  /_emulator/bot<token>/calls?method=sendMessage
    GET  /_emulator/bot<token>/stats
    GET  /_emulator/chats/<chat_id>/messages
    GET  /_emulator/chats/<chat_id>/messages/<message_id>/versions
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from quizkit.emulator._errors import ApiError
from quizkit.emulator._faults import ConnectionDropped
from quizkit.emulator._params import decode_body
from quizkit.emulator._service import BotApiService
from quizkit.emulator.updates import SimUser


class EmulatorControl(Protocol):
    """The Python API that the control endpoints expose, as `Emulator` implements it."""

    def add_bot(self, token: str, username: str, first_name: str = ...) -> None: ...
    def add_channel(self, token: str, chat_id: int, title: str, bot_is_admin: bool = ...,
                    admin_rights: dict[str, bool] | None = ...) -> None: ...
    def send_text(self, token: str, user: SimUser, text: str, *, chat_id: int | None = ...) -> int: ...
    def send_update(self, token: str, payload: dict[str, Any], *, unfiltered: bool = ...) -> int: ...
    def redeliver(self, token: str, update_ids: list[int]) -> int: ...
    def messages(self, chat_id: int) -> list[dict[str, Any]]: ...
    def message_versions(self, chat_id: int, message_id: int) -> list[dict[str, Any]]: ...
    def calls(self, token: str, method: str | None = ...) -> list[dict[str, Any]]: ...
    def inject_fault(self, token: str, kind: str, *, method: str | None = ..., chat_id: int | None = ...,
                     count: int | None = ..., retry_after: int = ..., delay_s: float = ..., status: int = ...) -> None: ...
    def clear_faults(self, token: str) -> int: ...
    def faults(self, token: str) -> list[dict[str, Any]]: ...
    def block_bot(self, token: str, user: SimUser) -> int: ...
    def unblock_bot(self, token: str, user: SimUser) -> int: ...
    def stats(self, token: str) -> dict[str, int]: ...


Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(service: BotApiService, control: EmulatorControl) -> Starlette:
    """Return the ASGI app that serves `service` and the control endpoints of `control`."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.startup()
        yield
        await service.shutdown()

    async def bot_api(request: Request) -> Response:
        raw: dict[str, Any] = dict(request.query_params)
        try:
            raw.update(decode_body(request.headers.get("content-type", ""), await request.body()))
        except ApiError as error:
            return JSONResponse(error.to_json(), status_code=error.error_code)
        try:
            status, envelope = await service.call(
                request.path_params["token"], request.path_params["method"], raw, source="http"
            )
        except ConnectionDropped:
            return _DroppedResponse()
        return JSONResponse(envelope, status_code=status)

    routes = [
        Route("/bot{token}/{method}", bot_api, methods=["GET", "POST"]),
        *_control_routes(service, control),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error})


def _control_routes(service: BotApiService, control: EmulatorControl) -> list[Route]:
    async def health(request: Request) -> Any:
        with service.world.lock:
            return {"bots": len(service.world.bots)}

    async def add_bot(request: Request) -> Any:
        body = await _json_body(request)
        control.add_bot(body["token"], body["username"], body.get("first_name", "Quizkit"))
        return True

    async def add_channel(request: Request) -> Any:
        body = await _json_body(request)
        control.add_channel(body["token"], int(body["chat_id"]), body["title"], bool(body.get("bot_is_admin", True)),
                            body.get("admin_rights"))
        return True

    async def send_text(request: Request) -> Any:
        body = await _json_body(request)
        user = SimUser(**body["user"])
        chat_id = body.get("chat_id")
        return control.send_text(_token(request), user, body["text"], chat_id=None if chat_id is None else int(chat_id))

    async def send_update(request: Request) -> Any:
        unfiltered = request.query_params.get("unfiltered", "false").lower() == "true"
        return control.send_update(_token(request), await _json_body(request), unfiltered=unfiltered)

    async def redeliver(request: Request) -> Any:
        update_ids = (await _json_body(request))["update_ids"]
        if not isinstance(update_ids, list) or not all(type(update_id) is int for update_id in update_ids):
            raise ValueError(f"'update_ids' must be a list of integers, got {update_ids!r}")
        return control.redeliver(_token(request), update_ids)

    async def wait_delivered(request: Request) -> Any:
        timeout = float(request.query_params.get("timeout", "10"))
        return await service.wait_delivered(_token(request), timeout)

    async def inject_fault(request: Request) -> Any:
        body = await _json_body(request)
        names = ("method", "chat_id", "count", "retry_after", "delay_s", "status")
        control.inject_fault(_token(request), body["kind"], **{name: body[name] for name in names if name in body})
        return True

    async def list_faults(request: Request) -> Any:
        return control.faults(_token(request))

    async def clear_faults(request: Request) -> Any:
        return control.clear_faults(_token(request))

    async def block(request: Request) -> Any:
        return control.block_bot(_token(request), SimUser(**(await _json_body(request))["user"]))

    async def unblock(request: Request) -> Any:
        return control.unblock_bot(_token(request), SimUser(**(await _json_body(request))["user"]))

    async def calls(request: Request) -> Any:
        return control.calls(_token(request), request.query_params.get("method"))

    async def stats(request: Request) -> Any:
        return control.stats(_token(request))

    async def messages(request: Request) -> Any:
        return control.messages(int(request.path_params["chat_id"]))

    async def versions(request: Request) -> Any:
        return control.message_versions(int(request.path_params["chat_id"]), int(request.path_params["message_id"]))

    prefix = "/_emulator"
    return [
        Route(f"{prefix}/health", _enveloped(health), methods=["GET"]),
        Route(f"{prefix}/bots", _enveloped(add_bot), methods=["POST"]),
        Route(f"{prefix}/channels", _enveloped(add_channel), methods=["POST"]),
        Route(prefix + "/bot{token}/send_text", _enveloped(send_text), methods=["POST"]),
        Route(prefix + "/bot{token}/send_update", _enveloped(send_update), methods=["POST"]),
        Route(prefix + "/bot{token}/redeliver", _enveloped(redeliver), methods=["POST"]),
        Route(prefix + "/bot{token}/wait_delivered", _enveloped(wait_delivered), methods=["POST"]),
        Route(prefix + "/bot{token}/faults", _enveloped(inject_fault), methods=["POST"]),
        Route(prefix + "/bot{token}/faults", _enveloped(list_faults), methods=["GET"]),
        Route(prefix + "/bot{token}/faults", _enveloped(clear_faults), methods=["DELETE"]),
        Route(prefix + "/bot{token}/block", _enveloped(block), methods=["POST"]),
        Route(prefix + "/bot{token}/unblock", _enveloped(unblock), methods=["POST"]),
        Route(prefix + "/bot{token}/calls", _enveloped(calls), methods=["GET"]),
        Route(prefix + "/bot{token}/stats", _enveloped(stats), methods=["GET"]),
        Route(prefix + "/chats/{chat_id}/messages", _enveloped(messages), methods=["GET"]),
        Route(prefix + "/chats/{chat_id}/messages/{message_id}/versions", _enveloped(versions), methods=["GET"]),
    ]


class _DroppedResponse(Response):
    """A response that announces 100 bytes, sends 7 and ends with ConnectionDropped, so the client's connection drops."""

    def __init__(self) -> None:
        super().__init__()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        await send({"type": "http.response.body", "body": b'{"ok": ', "more_body": True})
        raise ConnectionDropped()


def _enveloped(handler: Callable[[Request], Awaitable[Any]]) -> Endpoint:
    """Wrap a control handler's result, or its error, in the Bot API envelope."""

    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except KeyError as error:  # before LookupError, which it subclasses
            return _error(400, f"Invalid control request: the field {error} is missing")
        except LookupError as error:
            return _error(404, str(error))
        except (TypeError, ValueError) as error:
            return _error(400, f"Invalid control request: {error}")
        return JSONResponse({"ok": True, "result": result})

    return endpoint


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise ValueError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _token(request: Request) -> str:
    return request.path_params["token"]


def _error(code: int, description: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": code, "description": description}, status_code=code)


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths and wrong HTTP methods get Telegram's envelope, not Starlette's plain text.
    assert isinstance(exc, HTTPException)
    description = "Not Found" if exc.status_code == 404 else str(exc.detail)
    return _error(exc.status_code, description)
