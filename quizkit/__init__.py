"""quizkit: run live quiz events on Telegram from a Jupyter notebook.

The public names are importable from here. `Server` and `Host` import python-telegram-bot and the
webhook's HTTP server only when they are first used, so analysts who need only the engine and the
store import less.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "Engine": "quizkit.engine",
    "Store": "quizkit.store",
    "Host": "quizkit.host",
    "Server": "quizkit.server",
    "ServerNotRunning": "quizkit.server",
    "QuizkitError": "quizkit.errors",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'quizkit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
