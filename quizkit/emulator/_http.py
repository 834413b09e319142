"""A small HTTP/1.1 client for webhook delivery: keep-alive connections to loopback, with or without TLS.

httpx spends several times the server's own cost per request on pool bookkeeping, which made the
emulator, not the bot, the limit of a rehearsal. Webhook delivery needs only POST with a JSON body
and a response with Content-Length or chunked encoding, so this client does just that.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class DeliveryError(Exception):
    """The request did not get a complete HTTP response; `reason` reads like getWebhookInfo's error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class HttpResponse:
    """Status line and body of a webhook's response."""

    status: int
    reason: str
    body: bytes


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class KeepAliveClient:
    """POST to http:// and https:// URLs over reused connections; at most `max_idle` idle connections per origin.

    One request runs per connection at a time, so the caller's own limit on deliveries in flight
    (max_connections) is also the number of open connections.
    """

    def __init__(self, max_idle: int = 100) -> None:
        self._max_idle = max_idle
        self._idle: dict[tuple, list[_Connection]] = {}

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout_s: float,
                   tls: ssl.SSLContext | None = None) -> HttpResponse:
        """Send one POST and return the response; raise DeliveryError on timeout or a broken connection.

        An https:// URL needs `tls`, the context that verifies the server's certificate.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname is None or (parts.scheme == "https") != bool(tls):
            raise DeliveryError(f"Unsupported URL {url!r}: the emulator delivers only to http:// or https:// on loopback")
        default_port = 443 if tls else 80
        origin = (parts.hostname, parts.port or default_port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = _encode_request(origin, target, body, headers)

        try:
            return await asyncio.wait_for(self._exchange(origin, request, tls), timeout_s)
        except TimeoutError:
            raise DeliveryError("Read timeout expired") from None

    async def close(self) -> None:
        """Close every idle connection and wait until their sockets are closed."""
        connections = [connection for idle in self._idle.values() for connection in idle]
        self._idle.clear()
        for connection in connections:
            connection.close()
        for connection in connections:
            try:
                await connection.writer.wait_closed()
            except OSError:
                pass

    async def _exchange(self, origin: tuple[str, int], request: bytes, tls: ssl.SSLContext | None) -> HttpResponse:
        # A reused connection may have been closed by the server meanwhile; retry once on a fresh one.
        # Connections are pooled per TLS context too, so plain and TLS connections never mix.
        pool_key = (*origin, id(tls) if tls else None)
        connection = self._take_idle(pool_key)
        if connection is not None:
            try:
                return await self._round_trip(pool_key, connection, request)
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                pass

        try:
            if tls is None:
                reader, writer = await asyncio.open_connection(*origin)
            else:
                reader, writer = await asyncio.open_connection(*origin, ssl=tls, server_hostname=origin[0])
        except ssl.SSLError as error:
            raise DeliveryError(f"SSL error {{{error.reason or error}}}") from None
        except OSError:
            raise DeliveryError("Connection refused") from None
        try:
            return await self._round_trip(pool_key, _Connection(reader, writer), request)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            raise DeliveryError(f"Connection failed: {type(error).__name__}") from None

    async def _round_trip(self, origin: tuple, connection: _Connection, request: bytes) -> HttpResponse:
        try:
            connection.writer.write(request)
            await connection.writer.drain()
            response, keep_alive = await _read_response(connection.reader)
        except BaseException:
            connection.close()
            raise
        if keep_alive:
            self._put_idle(origin, connection)
        else:
            connection.close()
        return response

    def _take_idle(self, origin: tuple) -> _Connection | None:
        connections = self._idle.get(origin)
        while connections:
            connection = connections.pop()
            if not connection.writer.is_closing():
                return connection
        return None

    def _put_idle(self, origin: tuple, connection: _Connection) -> None:
        connections = self._idle.setdefault(origin, [])
        if len(connections) >= self._max_idle:
            connection.close()
            return
        connections.append(connection)


def _encode_request(origin: tuple[str, int], target: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {target} HTTP/1.1", f"Host: {origin[0]}:{origin[1]}", f"Content-Length: {len(body)}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[HttpResponse, bool]:
    status_line = (await reader.readuntil(b"\r\n")).decode("latin-1").rstrip("\r\n")
    version, _, rest = status_line.partition(" ")
    code_text, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or not code_text.isdigit():
        raise ValueError(f"invalid status line {status_line!r}")

    headers: dict[str, str] = {}
    while True:
        line = (await reader.readuntil(b"\r\n")).decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()

    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length", "0"))
        if length > MAX_RESPONSE_BYTES:
            raise ValueError(f"response body of {length} bytes is too large")
        body = await reader.readexactly(length)

    keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
    return HttpResponse(int(code_text), reason, body), keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    total = 0
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip()
        size = int(size_line, 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # The empty trailer section ends the body.
            return b"".join(chunks)
        total += size
        if total > MAX_RESPONSE_BYTES:
            raise ValueError(f"chunked response body exceeds {MAX_RESPONSE_BYTES} bytes")
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
