"""quizkit's own HTTP/1.1 server for the webhook, spoken to over raw sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from quizkit.certificate import write_self_signed
from quizkit.server._event_loop import new_event_loop
from quizkit.server._http import MAX_HEAD_BYTES, MAX_QUEUED_BYTES, HttpServer, Request, Response

MAX_BODY = 1000


class _Echo:
    """A handler that responds with the method, path and body.

    /later responds 50 ms later, /hold waits for release_held(), and /boom raises.
    """

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.held_responses: list[tuple] = []

    def __call__(self, request: Request, respond) -> None:
        self.requests.append(request)
        if request.path == "/boom":
            raise ValueError("handler bug")
        body = f"{request.method} {request.path} ".encode() + request.body
        response = Response(200, body, b"text/plain")
        if request.path == "/later":
            asyncio.get_running_loop().call_later(0.05, respond, response)
        elif request.path == "/hold":
            self.held_responses.append((respond, response))
        else:
            respond(response)

    def release_held(self) -> None:
        """Send the responses of the /hold requests. Call it on the server's event loop."""
        waiting, self.held_responses = self.held_responses, []
        for respond, response in waiting:
            respond(response)


class _Running:
    def __init__(self, handler, *, max_body_bytes: int = MAX_BODY, receive_buffer_bytes: int | None = None,
                 **options) -> None:
        self.handler = handler
        self._max_body_bytes = max_body_bytes
        self._receive_buffer_bytes = receive_buffer_bytes
        self._options = options
        self._loop = new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.server: HttpServer | None = None
        self.port = 0

    def start(self) -> None:
        self._thread.start()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        if self._receive_buffer_bytes is not None:
            # Accepted sockets inherit the listener's receive buffer, which keeps the kernel from
            # hiding how much the server itself reads.
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self._receive_buffer_bytes)
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        self.server = HttpServer(self.handler, max_body_bytes=self._max_body_bytes, **self._options)
        asyncio.run_coroutine_threadsafe(self.server.start(listener), self._loop).result(5)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def release_held(self) -> None:
        asyncio.run_coroutine_threadsafe(self._release_held(), self._loop).result(5)

    async def _release_held(self) -> None:
        self.handler.release_held()

    def connect(self) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        _unread.pop(connection.fileno(), None)
        return connection


@pytest.fixture
def running() -> Iterator[_Running]:
    server = _Running(_Echo())
    server.start()
    yield server
    server.stop()


_unread: dict[int, bytes] = {}


def _read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    # Pipelined responses can arrive in one recv(): what follows this response is kept for the next call.
    data = _unread.pop(connection.fileno(), b"")
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a whole head: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.split(": ", 1) for line in lines[1:])
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the whole body")
        rest += chunk
    _unread[connection.fileno()] = rest[length:]
    return status, headers, rest[:length]


def _closed_by_server(connection: socket.socket, timeout_s: float = 2) -> bool:
    connection.settimeout(timeout_s)
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _post(path: str, body: bytes, extra: str = "") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def test_keep_alive_connection_serves_several_requests(running):
    with running.connect() as connection:
        for index in range(3):
            connection.sendall(_post("/a", f"body {index}".encode()))
            status, headers, body = _read_response(connection)

            assert status == 200
            assert body == f"POST /a body {index}".encode()
            assert headers["content-type"] == "text/plain"
            assert "connection" not in headers


def test_pipelined_requests_responded_in_order(running):
    with running.connect() as connection:
        connection.sendall(_post("/later", b"one") + _post("/now", b"two") + _post("/later", b"three"))

        bodies = [_read_response(connection)[2] for _ in range(3)]

    assert bodies == [b"POST /later one", b"POST /now two", b"POST /later three"]


class _RecordingTransport(asyncio.Transport):
    """Records each write() call; a socket would merge them, so the count is only visible here."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return False


def test_one_write_per_response():
    # Head and body go out in one write, so the client wakes once per response, not twice.
    async def serve_one() -> list[bytes]:
        connection = HttpServer(_Echo(), max_body_bytes=MAX_BODY)._new_connection()
        transport = _RecordingTransport()
        connection.connection_made(transport)
        connection.data_received(_post("/a", b"x"))
        connection.connection_lost(None)
        return transport.writes

    writes = asyncio.run(serve_one())

    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert writes[0].endswith(b"\r\n\r\nPOST /a x")


def test_chunked_body_is_joined(running):
    request = (b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
    with running.connect() as connection:
        connection.sendall(request)

        assert _read_response(connection)[2] == b"POST /c abcdefg"


def test_expect_continue_gets_100_then_the_response(running):
    with running.connect() as connection:
        connection.sendall(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        interim = connection.recv(65536)
        connection.sendall(b"ok")

        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        assert _read_response(connection)[2] == b"POST /e ok"


def test_http_10_connection_closes_after_response(running):
    with running.connect() as connection:
        connection.sendall(b"POST /old HTTP/1.0\r\nContent-Length: 1\r\n\r\nz")
        status, headers, body = _read_response(connection)

        assert (status, body, headers["connection"]) == (200, b"POST /old z", "close")
        assert _closed_by_server(connection)


@pytest.mark.parametrize("host", [
    b"127.0.0.1:8443", b"example.org", b"EXAMPLE.org:443", b"[::1]:88", b"xn--bcher-kva.example", b"a%2Db", b"",
])
def test_valid_host_accepted(running, host):
    with running.connect() as connection:
        connection.sendall(b"GET /h HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")

        assert _read_response(connection)[0] == 200
    assert running.handler.requests[0].headers[b"host"] == host


@pytest.mark.parametrize("host", [b"example.org ", b"example.org:8443\t", b"[::1]:88  \t "])
def test_host_trailing_whitespace_accepted(running, host):
    # Whitespace after a field value is not part of it (RFC 9112, section 5.1).
    with running.connect() as connection:
        connection.sendall(b"GET /h HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")

        assert _read_response(connection)[0] == 200


@pytest.mark.parametrize("version", [b"2.0", b"0.9"])
def test_other_http_version_rejected(running, version):
    with running.connect() as connection:
        connection.sendall(b"GET /v HTTP/" + version + b"\r\n\r\n")
        status, headers, body = _read_response(connection)

        assert _closed_by_server(connection)
    assert status == 505
    assert body == b"HTTP version " + version + b" is not supported here; use HTTP/1.1"
    assert headers["connection"] == "close"
    assert running.handler.requests == []


def test_http_10_without_host_accepted(running):
    # RFC 9112, section 3.2, requires the Host header of HTTP/1.1 requests only.
    with running.connect() as connection:
        connection.sendall(b"GET /old HTTP/1.0\r\n\r\n")

        assert _read_response(connection)[0] == 200
    assert running.handler.requests[0].headers == {}


def test_connection_close_header_honoured(running):
    with running.connect() as connection:
        connection.sendall(_post("/bye", b"", "Connection: close\r\n"))

        assert _read_response(connection)[1]["connection"] == "close"
        assert _closed_by_server(connection)


def test_head_request_gets_length_without_body(running):
    with running.connect() as connection:
        connection.sendall(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n" + _post("/next", b"n"))
        data = b""
        while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"POST /next n"):
            data += connection.recv(65536)

    first, _, second = data.partition(b"\r\n\r\n")
    assert b"content-length: 8" in first  # "HEAD /h " is not sent, only its length
    assert second.startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize("request_bytes, status", [
    (b"NOT HTTP AT ALL\r\n\r\n", 400),
    (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
    (b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 400),
    (_post("/big", b"x" * (MAX_BODY + 1)), 413),
    (b"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + b"3e9\r\n" + b"y" * 1001 + b"\r\n", 413),
    (b"GET /h HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * (MAX_HEAD_BYTES + 1) + b"\r\n\r\n", 431),
    (b"POST /no-host HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400),
    (b"GET /two-hosts HTTP/1.1\r\nHost: x\r\nhost: y\r\n\r\n", 400),
    (b"GET /two-hosts HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n", 400),
    (b"GET /bad-host HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    (b"GET /bad-host HTTP/1.1\r\nHost: x/y\r\n\r\n", 400),
    (b"GET /bad-host HTTP/1.1\r\nHost: user@x\r\n\r\n", 400),
    (b"GET /bad-host HTTP/1.1\r\nHost: x:80a\r\n\r\n", 400),
    (b"GET /bad-host HTTP/1.0\r\nHost: x%zz\r\n\r\n", 400),
])
def test_bad_request_rejected_and_closed(running, request_bytes, status):
    with running.connect() as connection:
        connection.sendall(request_bytes)
        responded, headers, body = _read_response(connection)

        assert responded == status, body
        assert headers["connection"] == "close"
        assert _closed_by_server(connection)
    assert running.handler.requests == []


def test_declared_oversize_rejected_before_body(running):
    with running.connect() as connection:
        connection.sendall(f"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n".encode())

        assert _read_response(connection)[0] == 413


def test_handler_error_gets_500_and_serving_goes_on(running, caplog):
    with running.connect() as connection:
        connection.sendall(_post("/boom", b""))
        status, _, _ = _read_response(connection)
        connection.sendall(_post("/after", b"ok"))

        assert status == 500
        assert _read_response(connection)[2] == b"POST /after ok"
    assert "handler bug" in caplog.text


def test_client_hanging_up_mid_body_reaches_no_handler(running):
    with running.connect() as connection:
        connection.sendall(b"POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}")
    time.sleep(0.2)

    with running.connect() as connection:
        connection.sendall(_post("/fine", b""))
        assert _read_response(connection)[0] == 200
    assert [request.path for request in running.handler.requests] == ["/fine"]


def test_idle_connection_closed_after_keep_alive():
    server = _Running(_Echo(), keep_alive_s=0.3)
    server.start()
    try:
        with server.connect() as connection:
            connection.sendall(_post("/a", b""))
            _read_response(connection)
            time.sleep(0.8)

            assert _closed_by_server(connection)
    finally:
        server.stop()


def test_stop_lets_a_waiting_request_get_its_response():
    server = _Running(_Echo())
    server.start()
    connection = server.connect()
    try:
        connection.sendall(_post("/later", b"last"))
        time.sleep(0.01)
        server.stop()

        assert _read_response(connection)[2] == b"POST /later last"
    finally:
        connection.close()


def _tls_contexts(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Return a server context with a fresh self-signed certificate, and a client context that trusts it."""
    files = write_self_signed("127.0.0.1", folder / "cert.pem", folder / "key.pem")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(files.cert_path, files.key_path)
    return server_context, ssl.create_default_context(cafile=str(files.cert_path))


def test_tls_with_a_self_signed_certificate(tmp_path: Path):
    context, verify = _tls_contexts(tmp_path)
    server = _Running(_Echo(), ssl_context=context)
    server.start()
    try:
        response = httpx.post(f"https://127.0.0.1:{server.port}/tls", content=b"secure", verify=verify,
                              trust_env=False, timeout=10)

        assert response.status_code == 200
        assert response.content == b"POST /tls secure"
    finally:
        server.stop()


def _client_hello() -> bytes:
    """Return the ClientHello that Python's ssl module sends to 127.0.0.1 first."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


@pytest.mark.parametrize("sent", ["nothing", "half a ClientHello"])
def test_tls_handshake_never_finished_closed(tmp_path: Path, sent):
    # asyncio calls connection_made() only after the handshake, so the idle timer cannot cover
    # it, and the handshake needs its own limit.
    context, _ = _tls_contexts(tmp_path)
    server = _Running(_Echo(), ssl_context=context, keep_alive_s=0.5)
    server.start()
    try:
        with server.connect() as connection:
            if sent == "half a ClientHello":
                hello = _client_hello()
                connection.sendall(hello[:len(hello) // 2])

            # Closed after 0.5 s; a loaded machine may take longer.
            assert _closed_by_server(connection, timeout_s=5)
    finally:
        server.stop()
    assert server.handler.requests == []


def test_server_loop_is_uvloop_where_installed():
    uvloop = pytest.importorskip("uvloop")
    loop = new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def _readable(connection: socket.socket, timeout_s: float) -> bool:
    return bool(select.select([connection], [], [], timeout_s)[0])


def _pad_until_answered(connection: socket.socket) -> None:
    # Send one header value that never ends, until the server responds or 16 times the limit went out.
    sent = 0
    while sent < 16 * MAX_HEAD_BYTES and not _readable(connection, 0.01):
        connection.sendall(b"p" * 16384)
        sent += 16384


@pytest.mark.parametrize("start, status", [
    (b"GET /h HTTP/1.1\r\nHost: x\r\nX-Pad: ", 431),
    (b"POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Pad: ", 400),
])
def test_endless_header_or_trailer_rejected(running, start, status):
    # httptools keeps a header's partial name and value to itself until the line ends, so the limit
    # must also hold for a line that never ends, in the head (431) or in a trailer (400).
    with running.connect() as connection:
        connection.sendall(start)
        _pad_until_answered(connection)

        assert _read_response(connection)[0] == status
        assert _closed_by_server(connection)
    assert running.handler.requests == []


def test_many_pipelined_requests_behind_a_waiting_one(running):
    # Responses written at once must not recurse into the next request: 2000 would pass the recursion limit.
    count = 2000
    with running.connect() as connection:
        connection.sendall(_post("/later", b"first") + _post("/now", b"") * count)
        responses = [_read_response(connection) for _ in range(count + 1)]

    assert responses[0][2] == b"POST /later first"
    assert {body for _, _, body in responses[1:]} == {b"POST /now "}


@pytest.mark.parametrize("bad_request, status", [
    (b"BROKEN\r\n\r\n", 400),
    (_post("/big", b"x" * (MAX_BODY + 1)), 413),
    (b"POST /no-host HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400),
])
def test_pipelined_bad_request_answered_last(running, bad_request, status):
    # The requests before the bad one get their responses first, then the bad one its status,
    # and the request after it is never read.
    with running.connect() as connection:
        connection.sendall(_post("/later", b"one") + _post("/now", b"two") + bad_request + _post("/after", b""))
        responses = [_read_response(connection) for _ in range(3)]

        assert _closed_by_server(connection)
    assert [response[0] for response in responses] == [200, 200, status]
    assert [response[2] for response in responses[:2]] == [b"POST /later one", b"POST /now two"]
    assert "connection" not in responses[0][1]
    assert "connection" not in responses[1][1]
    assert responses[2][1]["connection"] == "close"
    assert [request.path for request in running.handler.requests] == ["/later", "/now"]


def test_late_bad_request_answered_in_turn(running):
    with running.connect() as connection:
        connection.sendall(_post("/hold", b"one"))
        while not running.handler.requests:
            time.sleep(0.01)
        connection.sendall(b"BROKEN\r\n\r\n")
        time.sleep(0.1)
        running.release_held()
        first = _read_response(connection)
        second = _read_response(connection)

        assert _closed_by_server(connection)
    assert (first[0], first[2]) == (200, b"POST /hold one")
    assert second[0] == 400
    assert second[1]["connection"] == "close"


@pytest.mark.parametrize("target, path", [
    ("/p?x=1&y=%2F", "/p"),
    ("http://127.0.0.1/p?q=1", "/p"),
    ("/%70", "/p"),
    ("/p#fragment", "/p"),
])
def test_request_target_forms_give_the_path(running, target, path):
    with running.connect() as connection:
        connection.sendall(_post(target, b""))

        assert _read_response(connection)[0] == 200
    assert running.handler.requests[0].path == path


def test_expect_continue_not_sent_to_http_10(running):
    with running.connect() as connection:
        connection.sendall(b"POST /e HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\nz")

        assert connection.recv(65536).startswith(b"HTTP/1.1 200 OK")


def test_expect_continue_waits_for_the_earlier_response(running):
    with running.connect() as connection:
        connection.sendall(_post("/later", b"one") + _post("/e", b"", "Expect: 100-continue\r\n"))

        assert _read_response(connection)[2] == b"POST /later one"
        assert _read_response(connection)[2] == b"POST /e "


class _FlowTransport(_RecordingTransport):
    """Records pause_reading() and resume_reading() as well as writes."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


def test_reading_paused_while_writing_is_paused():
    # A client that reads no responses must not make the server queue its further requests.
    async def flow() -> list[bool]:
        connection = HttpServer(_Echo(), max_body_bytes=MAX_BODY)._new_connection()
        transport = _FlowTransport()
        connection.connection_made(transport)
        connection.pause_writing()
        paused = transport.reading
        connection.data_received(_post("/a", b"x") * 3)
        connection.resume_writing()
        resumed = transport.reading
        connection.connection_lost(None)
        return [paused, resumed, len(transport.writes)]

    assert asyncio.run(flow()) == [False, True, 3]


def _send_without_reading(connection: socket.socket, seconds: float) -> None:
    # Pipeline requests with a tiny receive buffer and never read, until the server stops reading too.
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    connection.setblocking(False)
    pending = memoryview(b"GET /h HTTP/1.1\r\nHost: x\r\n\r\n" * 200_000)
    deadline = time.monotonic() + seconds
    while pending and time.monotonic() < deadline:
        try:
            pending = pending[connection.send(pending):]
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            return


def test_connection_of_a_client_reading_nothing_aborted():
    # Closing waits for the unsent responses, which a client that reads nothing never takes.
    server = _Running(_Echo(), keep_alive_s=0.5)
    server.start()
    try:
        with server.connect() as connection:
            _send_without_reading(connection, seconds=3)
            # Idle 0.5 s, then closed, then aborted 0.5 s later; a loaded machine may take longer.
            deadline = time.monotonic() + 10
            while server.server._connections and time.monotonic() < deadline:
                time.sleep(0.05)

            assert server.server._connections == set()
    finally:
        server.stop()


def test_stop_aborts_client_reading_nothing_quietly(monkeypatch, caplog):
    # No request of this client waits for its response, so aborting it is no loss worth a warning.
    monkeypatch.setattr("quizkit.server._http.CLOSE_GRACE_S", 0.5)
    server = _Running(_Echo())
    server.start()
    with server.connect() as connection:
        _send_without_reading(connection, seconds=2)
        server.stop()

    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_repeated_header_keeps_first(running):
    # As Starlette's Headers.get() did, so a second secret token header cannot replace the first.
    with running.connect() as connection:
        connection.sendall(_post("/r", b"", "X-Token: first\r\nx-token: second\r\n"))
        _read_response(connection)

    assert running.handler.requests[0].headers[b"x-token"] == b"first"


def test_request_trickled_byte_by_byte_is_cut_off():
    server = _Running(_Echo(), keep_alive_s=0.3)
    server.start()
    try:
        with server.connect() as connection:
            request = _post("/slow", b"x" * 50)
            sent = 0
            try:
                for byte in request:
                    connection.sendall(bytes([byte]))
                    sent += 1
                    time.sleep(0.03)  # the whole request would take about 3 s
            except (BrokenPipeError, ConnectionResetError):
                pass

            assert sent < len(request)
            assert _closed_by_server(connection)
    finally:
        server.stop()
    assert server.handler.requests == []


def _send_until_stalled(connection: socket.socket, data: bytes, stall_s: float) -> int:
    # Send without blocking until nothing more goes out for stall_s, and return the bytes sent.
    timeout = connection.gettimeout()
    connection.setblocking(False)
    sent = 0
    last_progress = time.monotonic()
    while sent < len(data) and time.monotonic() - last_progress < stall_s:
        try:
            sent += connection.send(data[sent:sent + 65536])
            last_progress = time.monotonic()
        except BlockingIOError:
            select.select([], [connection], [], 0.05)
    connection.settimeout(timeout)
    return sent


def test_pipelined_bodies_bounded_in_bytes():
    # Behind a request that waits for its response, the server must stop reading once the
    # requests queued behind it hold MAX_QUEUED_BYTES, whatever their count, so a client
    # cannot make it buffer 17 bodies of 1 MiB.
    mebibyte = 1024 * 1024
    big = _post("/big", b"b" * mebibyte)
    pipelined = _post("/hold", b"first") + big * 17
    server = _Running(_Echo(), max_body_bytes=mebibyte, receive_buffer_bytes=16384)
    server.start()
    try:
        connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        connection.settimeout(10)
        connection.connect(("127.0.0.1", server.port))
        with connection:
            sent = _send_until_stalled(connection, pipelined, stall_s=1.0)

            # The server may read one more chunk after the bound (asyncio and uvloop read at most
            # 256 KiB at a time), and the two small socket buffers hold some tens of KiB.
            assert sent < MAX_QUEUED_BYTES + 256 * 1024 + 256 * 1024, sent
            assert [request.path for request in server.handler.requests] == ["/hold"]

            sender = threading.Thread(target=connection.sendall, args=(pipelined[sent:],), daemon=True)
            sender.start()
            server.release_held()
            responses = [_read_response(connection) for _ in range(18)]
            sender.join(10)
    finally:
        server.stop()

    assert responses[0][2] == b"POST /hold first"
    assert [len(body) for _, _, body in responses[1:]] == [len(b"POST /big ") + mebibyte] * 17
