"""The emulator's keep-alive HTTP client against tiny servers started by each test on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from quizkit.emulator._http import DeliveryError, KeepAliveClient


async def _serve(responses: list[bytes]):
    """Start a server that answers each request on a connection with the next canned response."""
    connections = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        try:
            for response in responses:
                head = await reader.readuntil(b"\r\n\r\n")
                lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
                await reader.readexactly(int(lengths[0].split(b":")[1]))
                writer.write(response)
                await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/webhook", connections


async def test_client_reads_chunked_body_and_reuses_connection():
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"
    plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    server, url, connections = await _serve([chunked, plain])
    client = KeepAliveClient()
    try:
        first = await client.post(url, b"{}", {"Content-Type": "application/json"}, timeout_s=5)
        second = await client.post(url, b"{}", {}, timeout_s=5)
    finally:
        await client.close()
        await asyncio.sleep(0.05)
        server.close()
        await server.wait_closed()

    assert first.status == 200
    assert first.body == b'{"a":1}'
    assert second.body == b"{}"
    assert len(connections) == 1


async def test_client_reports_error_status_and_closes_on_request():
    failing = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    server, url, _ = await _serve([failing])
    client = KeepAliveClient()
    try:
        response = await client.post(url, b"{}", {}, timeout_s=5)
    finally:
        await client.close()
        await asyncio.sleep(0.05)
        server.close()
        await server.wait_closed()

    assert response.status == 500
    assert response.reason == "Internal Server Error"


async def test_client_refused_connection_is_delivery_error():
    probe = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()

    with pytest.raises(DeliveryError, match="Connection refused"):
        await KeepAliveClient().post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout_s=5)


async def test_client_times_out_on_silent_server():
    async def silent(reader, writer):
        await reader.read()  # Returns once the client gives up and closes its side.
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(DeliveryError, match="Read timeout expired"):
            await KeepAliveClient().post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout_s=0.2)
    finally:
        await asyncio.sleep(0.05)
        server.close()
        await server.wait_closed()


async def test_client_rejects_non_http_url():
    with pytest.raises(DeliveryError, match="Unsupported URL"):
        await KeepAliveClient().post("https://127.0.0.1/", b"{}", {}, timeout_s=1)
