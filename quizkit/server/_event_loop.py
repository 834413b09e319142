"""The server thread's event loop: uvloop's where it is installed, asyncio's own otherwise."""

from __future__ import annotations

import asyncio

try:
    import uvloop
except ImportError:  # Windows has no uvloop; asyncio's loop serves the same, more slowly
    uvloop = None


def new_event_loop() -> asyncio.AbstractEventLoop:
    """Return a new event loop for the server thread.

    uvloop handles the webhook's sockets in C. In bench/quizkit_only.py it raised the updates the
    server handled per second by about a fifth (see BENCHMARKS.md, "The webhook's own HTTP server").
    """
    if uvloop is None:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
