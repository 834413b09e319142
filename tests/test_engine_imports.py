"""Layering: the engine and everything below it import no Telegram, web or notebook library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORE_MODULES = ["quizkit.engine", "quizkit.store", "quizkit.answers", "quizkit.locales", "quizkit.model", "quizkit.errors"]
FORBIDDEN = ["telegram", "starlette", "httpx", "uvicorn", "ipywidgets", "matplotlib"]


def test_engine_imports_no_telegram_or_web_modules():
    script = (
        "import importlib, json, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == []
