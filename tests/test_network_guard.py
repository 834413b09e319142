import socket

import pytest

from tests.conftest import ExternalNetworkBlocked


def test_network_guard_blocks_external_address():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(ExternalNetworkBlocked):
            # TEST-NET-1 (RFC 5737): never routed, and the guard raises before any packet leaves.
            sock.connect(("192.0.2.1", 443))
    finally:
        sock.close()


def test_network_guard_allows_loopback():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()
