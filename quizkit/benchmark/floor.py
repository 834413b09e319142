"""Do-nothing webhook endpoints: read the request body and answer 200 at once.

They give the floor of a benchmark, what the machine allows with the load generator on it. Run one
in its own process:

    python -m quizkit.benchmark.floor STACK PORT

`STACK` is one of `STACKS`. Each one serves POST on any path on 127.0.0.1:PORT until SIGTERM.
"""

from __future__ import annotations

import sys

STACKS = ("starlette-uvicorn-h11", "starlette-uvicorn", "asgi-uvicorn", "asgi-granian", "quizkit-http")
# Stacks that need a package of the bench extra; the others run on quizkit's own dependencies.
STACK_PACKAGES = {"asgi-granian": "granian"}


async def raw_app(scope, receive, send) -> None:
    """A bare ASGI app: drain the body, answer 200 with an empty body."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


def starlette_app():
    """The same endpoint as a Starlette route, the framework quizkit's webhook used before its own server."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def receive_update(request: Request) -> Response:
        await request.body()
        return Response(status_code=200)

    return Starlette(routes=[Route("/webhook", receive_update, methods=["POST"])])


def serve(stack: str, port: int) -> None:
    """Serve `stack` on 127.0.0.1:`port` until the process is stopped."""
    if stack == "quizkit-http":
        _serve_quizkit_http(port)
        return
    if stack == "asgi-granian":
        from granian.constants import Interfaces
        from granian.server import Server

        Server("quizkit.benchmark.floor:raw_app", address="127.0.0.1", port=port, interface=Interfaces.ASGI,
               workers=1, log_enabled=False).serve()
        return

    import uvicorn

    app = starlette_app() if stack.startswith("starlette") else raw_app
    # "h11" and "asyncio" are uvicorn's pure-Python parser and loop; "auto" picks httptools and uvloop when installed.
    http, loop = ("h11", "asyncio") if stack.endswith("-h11") else ("auto", "auto")
    uvicorn.run(app, host="127.0.0.1", port=port, http=http, loop=loop, log_level="warning", access_log=False,
                lifespan="off")


def _serve_quizkit_http(port: int) -> None:
    # The HTTP server and event loop of `quizkit serve`'s webhook, with a handler that does nothing.
    import asyncio
    import socket

    from quizkit.server._event_loop import new_event_loop
    from quizkit.server._http import HttpServer, Response

    empty = Response(200)

    def do_nothing(request, respond) -> None:
        respond(empty)

    async def forever() -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        await HttpServer(do_nothing, max_body_bytes=1024 * 1024).start(listener)
        await asyncio.Event().wait()

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(forever())


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in STACKS:
        sys.exit(f"usage: python -m quizkit.benchmark.floor {{{','.join(STACKS)}}} PORT")
    serve(sys.argv[1], int(sys.argv[2]))
