"""A small HTTP/1.1 server for the webhook, on httptools' parser and the event loop's transports.

The webhook is the hot path of a live event, and a general server's per-request work showed in
its profile: a task, ASGI messages and two socket writes per response, each write waking the
client (see BENCHMARKS.md, "The webhook's own HTTP server"). This one hands each request to a
handler that responds through a callback, now or after the group commit, and writes each response
in one call.

What it speaks: HTTP/1.0 and 1.1, keep-alive, pipelined requests (handled in order, one at a
time), bodies by Content-Length or chunked, `Expect: 100-continue`, TLS through an SSLContext.
What it rejects, then closes the connection: malformed requests (400), versions other than 1.0 and
1.1 (505), HTTP/1.1 requests without a Host header (400), requests with more than one Host header
or an invalid one (400), upgrades (400), bodies over `max_body_bytes` (413), headers over
MAX_HEAD_BYTES (431), and chunk framing with trailers over MAX_HEAD_BYTES (400). A rejected request
pipelined behind others gets its status after their responses, and nothing the client sent after
it is read. An idle connection closes after `keep_alive_s`, and so does a TLS connection whose
handshake has not finished by then. The connection is aborted when its client has not taken the
last responses another `keep_alive_s` later.

Behind a request still waiting for its response, a connection may queue MAX_QUEUED_REQUESTS
requests and MAX_QUEUED_BYTES bytes. Beyond either the server stops reading from it, so the
client's further requests wait in the socket buffers, until the queue has drained to half.

A request must arrive whole within `keep_alive_s` of its first byte, so a client that sends a byte
now and then cannot hold a connection open for longer than about twice that.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from urllib.parse import unquote
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

import httptools

logger = logging.getLogger("quizkit.server")

# The request line and headers of one request, at most; Telegram's are well under 1 KiB.
MAX_HEAD_BYTES = 64 * 1024
# Requests a client may pipeline before the server stops reading from it until it catches up.
MAX_QUEUED_REQUESTS = 16
# Bytes of request lines, headers and bodies that may wait behind the request with the handler
# before the server stops reading. The read that crosses the limit is still parsed whole, and
# asyncio and uvloop read up to 256 KiB at a time, so a connection buffers at most about 320 KiB.
MAX_QUEUED_BYTES = 64 * 1024
# A Host header's value: a host name or IPv4 address, or a bracketed IP literal, then an optional
# port, each in the characters RFC 3986 allows. The IP literal's own syntax is not checked, and
# the value may be empty.
_HOST_VALUE = re.compile(rb"(?:\[[0-9A-Za-z._~!$&'()*+,;=:-]*\]|(?:[0-9A-Za-z._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*)"
                         rb"(?::[0-9]*)?")
# How long stop() waits for requests already handed to the handler before closing connections.
CLOSE_GRACE_S = 5.0


@dataclass
class Request:
    """One parsed request: method and path as text, header names lower case, the whole body."""

    method: str
    path: str
    headers: dict[bytes, bytes]
    body: bytes = b""
    keep_alive: bool = True


@dataclass(frozen=True)
class Response:
    """A handler's response: a status, a body and its content type, and any further headers."""

    status: int
    body: bytes = b""
    content_type: bytes | None = None
    headers: tuple[tuple[bytes, bytes], ...] = field(default_factory=tuple)


# A handler gets the request and a function to call once with its response, at once or later.
Handler = Callable[[Request, Callable[[Response], None]], None]


class _Rejected(Exception):
    """Raised in a parser callback to stop parsing; the connection keeps the status and message."""


class HttpServer:
    """Serve `handler` on a listening socket until `stop()`."""

    def __init__(self, handler: Handler, *, max_body_bytes: int, keep_alive_s: float = 75.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._handler = handler
        self._max_body_bytes = max_body_bytes
        self._keep_alive_s = keep_alive_s
        self._ssl_context = ssl_context
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[_Connection] = set()

    async def start(self, listener) -> None:
        """Start accepting connections on `listener`, a bound TCP socket."""
        loop = asyncio.get_running_loop()
        # The event loop calls connection_made() only once the TLS handshake is done, so the idle
        # timer starts there, and the loop itself must end a handshake that takes too long.
        handshake_limit = {"ssl_handshake_timeout": self._keep_alive_s} if self._ssl_context else {}
        self._server = await loop.create_server(self._new_connection, sock=listener, ssl=self._ssl_context,
                                                backlog=1024, **handshake_limit)

    async def stop(self) -> None:
        """Stop accepting, let requests already being handled get their responses, then close every connection."""
        if self._server is not None:
            self._server.close()
        # NOTE: a TLS connection still in its handshake has no transport here yet, so it is not in
        # _connections, and only its handshake timeout of keep_alive_s ends it.
        for connection in list(self._connections):
            connection.close_when_idle()

        waited = 0.0
        while self._connections and waited < CLOSE_GRACE_S:
            await asyncio.sleep(0.05)
            waited += 0.05
        for connection in list(self._connections):
            if connection.busy:
                logger.warning("Closing a webhook connection with a request still waiting for its response "
                               "after %.0f s", CLOSE_GRACE_S)
            else:
                logger.debug("Aborting a webhook connection whose client took no response for %.0f s", CLOSE_GRACE_S)
            connection.abort()
        if self._server is not None:
            await self._server.wait_closed()

    def _new_connection(self) -> _Connection:
        return _Connection(self)


class _Connection(asyncio.Protocol):
    """One client connection: parses requests, hands them to the handler in order, writes responses."""

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._idle_timer: asyncio.TimerHandle | None = None
        self._last_active = self._loop.time()
        self._rejection: tuple[int, str] | None = None

        self._in_message = False
        self._message_began = 0.0
        self._head_complete = False
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._head_bytes = 0
        self._received_bytes = 0  # of the open message, from the read after the one it began in
        self._body: list[bytes] = []
        self._body_bytes = 0

        # Requests with their sizes in bytes. After a rejection, its response is the last item.
        self._queued: deque[tuple[Request | Response, int]] = deque()
        self._queued_bytes = 0
        self._busy = False  # a request is with the handler and its response not yet written
        self._paused_writing = False
        self._paused_reading = False
        self._dispatching = False  # _next() is on the stack, so a response written now must not recurse into it
        self._stopped_reading = False  # a request was rejected, so the parser is done
        self._closing = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._server._connections.add(self)
        self._idle_timer = self._loop.call_later(self._server._keep_alive_s, self._close_if_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server._connections.discard(self)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._closing = True
        self._queued.clear()
        self._queued_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._closing or self._stopped_reading:
            return  # no further request would be handled
        self._last_active = self._loop.time()
        if self._in_message:
            self._received_bytes += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(HTTPStatus.BAD_REQUEST, "Upgrades are not served here")
            return
        except httptools.HttpParserError as error:
            # An exception raised in a callback arrives wrapped in HttpParserCallbackError.
            status, message = self._rejection or (HTTPStatus.BAD_REQUEST, f"Malformed HTTP request: {error}")
            self._reject(status, message)
            return
        self._check_framing_bytes()
        if self._in_message and (self._busy or self._queued):
            self._update_reading()  # the request behind the one with the handler has grown

    def pause_writing(self) -> None:
        self._paused_writing = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._paused_writing = False
        self._update_reading()
        self._next()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._in_message = True
        self._message_began = self._loop.time()
        self._head_complete = False
        self._url = b""
        self._headers = {}
        self._head_bytes = 0
        self._received_bytes = 0
        self._body = []
        self._body_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value))
        key = name.lower()
        if key == b"host" and key in self._headers and not self._head_complete:
            # RFC 9112, section 3.2, requires a 400 response to a request with more than one Host header.
            self._stop_parsing(HTTPStatus.BAD_REQUEST, "Invalid request: more than one Host header, where at most "
                               "one is allowed")
        # The first of repeated headers counts, as in Starlette's Headers.get(), and trailers add only new names.
        self._headers.setdefault(key, value)

    def on_headers_complete(self) -> None:
        self._head_complete = True
        if self._parser.should_upgrade():
            self._stop_parsing(HTTPStatus.BAD_REQUEST, "Upgrades (such as websockets) are not served here")
        self._check_version()
        self._check_host()
        declared = self._headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self._server._max_body_bytes:
            self._stop_parsing(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"Request body exceeds {self._server._max_body_bytes} bytes")
        if self._should_continue():
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _check_version(self) -> None:
        # httptools accepts a request line with HTTP/2.0, which is no HTTP/1 request, so the Host
        # check below, made for 1.1, would not apply to it.
        version = self._parser.get_http_version()
        if version not in ("1.0", "1.1"):
            self._stop_parsing(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                               f"HTTP version {version} is not supported here; use HTTP/1.1")

    def _check_host(self) -> None:
        # RFC 9112, section 3.2, requires a 400 response to an HTTP/1.1 request without a Host
        # header, and to any request whose Host header is invalid. httptools drops the whitespace
        # before a field value but keeps the whitespace after it, which is not part of the value
        # either (RFC 9112, section 5.1).
        host = self._headers.get(b"host")
        if host is not None:
            host = host.rstrip(b" \t")
        if host is None:
            if self._parser.get_http_version() == "1.1":
                self._stop_parsing(HTTPStatus.BAD_REQUEST,
                                   "Missing Host header, which every HTTP/1.1 request must have")
        elif _HOST_VALUE.fullmatch(host) is None:
            self._stop_parsing(HTTPStatus.BAD_REQUEST, f"Invalid Host header {host[:100]!r}: expected a host name "
                               "or IP address and an optional port")

    def _should_continue(self) -> bool:
        # HTTP/1.0 clients do not know 100 Continue. Behind an earlier request still waiting for its
        # response, a 100 would arrive first and read as that one's. There the client gets no 100,
        # so it sends the body once its own expect timeout runs out.
        return (self._headers.get(b"expect", b"").lower() == b"100-continue"
                and self._parser.get_http_version() == "1.1"
                and not self._busy and not self._queued and self._transport is not None)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > self._server._max_body_bytes:
            self._stop_parsing(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"Request body exceeds {self._server._max_body_bytes} bytes")
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._in_message = False
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        request = Request(self._parser.get_method().decode("latin-1"), _path(self._url), self._headers, body,
                          self._parser.should_keep_alive())
        size = self._head_bytes + len(body)
        self._queued.append((request, size))
        self._queued_bytes += size
        self._update_reading()
        self._next()

    # Requests and responses

    def _next(self) -> None:
        # A loop, not recursion: a response written at once calls back here through _write().
        if self._dispatching:
            return
        self._dispatching = True
        try:
            while not (self._busy or self._paused_writing or not self._queued or self._closing):
                request, size = self._queued.popleft()
                self._queued_bytes -= size
                if isinstance(request, Response):
                    self._write_rejection(request)
                    return
                self._update_reading()
                self._dispatch(request)
        finally:
            self._dispatching = False

    def _dispatch(self, request: Request) -> None:
        self._busy = True
        responded = False

        def respond(response: Response) -> None:
            nonlocal responded
            if responded:
                raise RuntimeError(f"{request.method} {request.path} already has its response")
            responded = True
            self._write(request, response)

        try:
            self._server._handler(request, respond)
        except Exception:  # noqa: BLE001 - one request's bug must not take the connection down silently
            logger.exception("Webhook handler failed on %s %s", request.method, request.path)
            if not responded:
                respond(Response(HTTPStatus.INTERNAL_SERVER_ERROR, b"Internal Server Error", _TEXT))

    def _write(self, request: Request, response: Response) -> None:
        self._busy = False
        if self._paused_reading:
            self._update_reading()  # the bytes behind this request no longer count as waiting
        if self._transport is None or self._transport.is_closing():
            return
        keep_alive = request.keep_alive and not self._closing
        body = b"" if request.method == "HEAD" else response.body
        self._transport.write(_head(response, len(response.body), keep_alive) + body)
        self._last_active = self._loop.time()
        if not keep_alive:
            self._closing = True
            self._transport.close()
            return
        self._next()

    def _reject(self, status: int, message: str) -> None:
        # The parser is in an unknown state after an error, so nothing after this request is read.
        # The requests before it still get their responses in order, then it gets this status.
        logger.debug("Rejecting a webhook request with %d: %s", status, message)
        self._stopped_reading = True
        self._in_message = False
        if self._transport is not None and not self._transport.is_closing() and not self._paused_reading:
            self._transport.pause_reading()
            self._paused_reading = True
        response = Response(status, message.encode("utf-8", "replace"), _TEXT)
        self._queued.append((response, 0))
        self._next()

    def _write_rejection(self, response: Response) -> None:
        self._closing = True
        if self._transport is None or self._transport.is_closing():
            return
        self._transport.write(_head(response, len(response.body), keep_alive=False) + response.body)
        self._transport.close()

    def _check_framing_bytes(self) -> None:
        # httptools hands over a header only once its line ends, so a line that never ends is
        # bounded here, by the bytes received for the message that are not body. The read that
        # began the message is not counted, so the bound is loose by at most one read.
        if not self._in_message or self._received_bytes - self._body_bytes <= MAX_HEAD_BYTES:
            return
        if self._head_complete:
            self._reject(HTTPStatus.BAD_REQUEST, f"Chunk framing and trailers exceed {MAX_HEAD_BYTES} bytes")
        else:
            self._reject(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                         f"Request line and headers exceed {MAX_HEAD_BYTES} bytes")

    def _update_reading(self) -> None:
        # Stop reading while the client takes no responses, or while the requests waiting behind
        # the one with the handler are too many or too large, so none of these can grow without
        # bound. Resume once all have eased to half their limit, unless a request was rejected.
        if self._transport is None or self._transport.is_closing() or self._stopped_reading:
            return
        if not self._paused_reading and (self._paused_writing or len(self._queued) > MAX_QUEUED_REQUESTS
                                         or self._waiting_bytes() > MAX_QUEUED_BYTES):
            self._transport.pause_reading()
            self._paused_reading = True
        elif (self._paused_reading and not self._paused_writing and len(self._queued) < MAX_QUEUED_REQUESTS // 2
              and self._waiting_bytes() <= MAX_QUEUED_BYTES // 2):
            self._transport.resume_reading()
            self._paused_reading = False

    def _waiting_bytes(self) -> int:
        # With nothing ahead of it, the message being received is the next to be handled, and
        # max_body_bytes and MAX_HEAD_BYTES bound it, so pausing there would only stall it.
        if not (self._busy or self._queued):
            return 0
        receiving = self._head_bytes + self._body_bytes if self._in_message else 0
        return self._queued_bytes + receiving

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._stop_parsing(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                               f"Request line and headers exceed {MAX_HEAD_BYTES} bytes")

    def _stop_parsing(self, status: int, message: str) -> None:
        self._rejection = (status, message)
        raise _Rejected(message)

    # Closing

    @property
    def busy(self) -> bool:
        """Whether a request is with the handler and its response not yet written."""
        return self._busy

    def close_when_idle(self) -> None:
        """Close now if no request is with the handler, otherwise right after its response."""
        self._closing = True
        self._queued.clear()
        self._queued_bytes = 0
        if not self._busy and self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _close_if_idle(self) -> None:
        # One timer per connection, moved on to the last activity, instead of a new one per request.
        keep_alive_s = self._server._keep_alive_s
        now = self._loop.time()
        idle_s = now - self._last_active
        if self._in_message and now - self._message_began >= keep_alive_s and self._transport is not None:
            logger.debug("Closing a webhook connection whose request is still incomplete after %.0f s",
                         now - self._message_began)
            self._transport.abort()
            return
        if idle_s >= keep_alive_s and not self._busy and self._transport is not None:
            if self._transport.is_closing():
                # close() waits to send the responses already written, and this client reads none.
                logger.debug("Aborting a webhook connection whose client took no response for %.0f s", idle_s)
                self._transport.abort()
                return
            logger.debug("Closing a webhook connection idle for %.0f s", idle_s)
            self._transport.close()
            self._idle_timer = self._loop.call_later(keep_alive_s, self._close_if_idle)
            return
        remaining_s = max(keep_alive_s - idle_s, 0.05)
        self._idle_timer = self._loop.call_later(remaining_s, self._close_if_idle)


_TEXT = b"text/plain; charset=utf-8"


def _path(target: bytes) -> str:
    """Return the decoded path of a request target in origin form (/p?q) or absolute form (http://h/p?q)."""
    try:
        path = httptools.parse_url(target).path
    except httptools.HttpParserInvalidURLError:
        path = target  # such as the asterisk form of OPTIONS *
    return unquote(path.decode("latin-1"))


def _head(response: Response, length: int, keep_alive: bool) -> bytes:
    status = HTTPStatus(response.status)
    lines = [f"HTTP/1.1 {status.value} {status.phrase}\r\ncontent-length: {length}\r\n".encode("latin-1")]
    if response.content_type is not None:
        lines.append(b"content-type: " + response.content_type + b"\r\n")
    for name, value in response.headers:
        lines.append(name + b": " + value + b"\r\n")
    if not keep_alive:
        lines.append(b"connection: close\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)
