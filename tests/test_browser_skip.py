"""Without Debian's chromium the browser tests are skipped, and the reason gives the install command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.browser_support import REPO_ROOT, find_chromium


def test_find_chromium_none_without_chromium(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    assert find_chromium() is None


def test_browser_tests_skip_without_chromium():
    # Only the venv's bin folder on PATH, so `chromium` cannot be found.
    environment = dict(os.environ, PATH=str(Path(sys.executable).parent))
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_browser_smoke.py", "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "2 skipped" in completed.stdout
    assert "Debian's chromium is not installed (apt-get install chromium); the browser tests need it" in completed.stdout
