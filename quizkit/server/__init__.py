"""The quizkit server: webhook and polling transports, the outbox, and traffic counters."""

from quizkit.server._lock import EventAlreadyServed
from quizkit.server.server import Server, ServerNotRunning, ServerStartFailed, ServerStatus

__all__ = ["EventAlreadyServed", "Server", "ServerNotRunning", "ServerStartFailed", "ServerStatus"]
