"""The JupyterLab server behind the browser tests starts, stops its kernels and reports leaks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import jupyterlab_server
from tests.jupyterlab_server import JupyterLab, JupyterLabError


def test_jupyterlab_stop_shuts_kernels_down(tmp_path):
    lab = JupyterLab(tmp_path / "lab", environment={"QUIZKIT_BROWSER_PROBE": "42"})
    with lab:
        assert lab.request("GET", "api/kernelspecs").json()["default"] == "python3"
        created = lab.request("POST", "api/kernels", timeout_s=60)
        assert created.status_code == 201
        pids = lab.running_pids()
        assert len(pids) == 2  # the server and its kernel
        for pid in pids:
            assert b"QUIZKIT_BROWSER_PROBE=42\0" in Path(f"/proc/{pid}/environ").read_bytes()

    assert lab.running_pids() == []
    assert "Shutting down 1 kernel" in lab.log_path.read_text(encoding="utf-8")


def test_jupyterlab_stop_kills_and_reports_leaks(tmp_path):
    lab = JupyterLab(tmp_path / "lab")
    lab.start()
    # A process started outside the server's control that names its folder, as a stray kernel would.
    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", str(lab.base_dir)])

    with pytest.raises(JupyterLabError, match=rf"left 1 process\(es\) running after shutdown: \[{stray.pid}\]\. They were killed"):
        lab.stop()
    assert stray.wait(timeout=10) == -9
    lab.stop()  # a second stop does nothing


def test_jupyterlab_busy_port_fails_with_log(tmp_path, monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        monkeypatch.setattr(jupyterlab_server, "_free_port", lambda: busy.getsockname()[1])
        lab = JupyterLab(tmp_path / "lab")

        started = time.monotonic()
        with pytest.raises(JupyterLabError, match=r"JupyterLab exited with code 1 while starting\. Log .*jupyterlab\.log"):
            lab.start()

    assert time.monotonic() - started < jupyterlab_server.START_TIMEOUT_S
    assert lab.running_pids() == []
