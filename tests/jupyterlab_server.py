"""A JupyterLab server on 127.0.0.1 for browser tests, started from this venv and stopped without leaks.

`JupyterLab(base_dir)` starts `python -m jupyter lab` with this interpreter, on a free port, with a
random token, and with its config, data, runtime and IPython folders under `base_dir`, so neither
the user's settings nor a kernel spec from elsewhere apply. Notebooks go in `lab.root_dir`. Its
kernel is the venv's own `python3`, which ipykernel provides for the interpreter that runs the
server.

Nothing in it reaches the internet on start: the news feed is off (`news_url=None`), the update
check is `NeverCheckForUpdate` (the default requests the latest JupyterLab version from PyPI), and the extension
manager is `readonly` (the default `pypi` manager searches PyPI). The conftest network guard does
not cover this subprocess, so these settings are the only protection.

`stop()` asks the server to shut down through its REST API, which stops its kernels, and then
looks in /proc for any process still naming `base_dir` (the server or a kernel) and kills it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
LOG_TAIL_CHARS = 3000


class JupyterLabError(RuntimeError):
    """JupyterLab failed to start, or left processes behind after it stopped."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class JupyterLab:
    """A JupyterLab server serving `root_dir`, with its state and log under `base_dir`.

    `environment` adds variables to the server's environment, which its kernels inherit. Use it as
    a context manager, or call `start()` and `stop()`. `stop()` is idempotent.
    """

    def __init__(self, base_dir: Path, log_path: Path | None = None, environment: dict[str, str] | None = None) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.environment = dict(environment or {})
        self.root_dir = self.base_dir / "notebooks"
        self._settings_dir = self.base_dir / "config/lab/user-settings"
        self.log_path = log_path or self.base_dir / "jupyterlab.log"
        self.port = 0
        self.token = secrets.token_hex(24)
        self._process: subprocess.Popen | None = None
        self._log_file = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, with_token: bool = False) -> str:
        """Return the address of `path` on this server, with the token when `with_token` (for a first page load)."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        if with_token:
            url += ("&" if "?" in url else "?") + f"token={self.token}"
        return url

    def request(self, method: str, path: str, timeout_s: float = 10.0) -> httpx.Response:
        """Send an authenticated REST request to the server, for example `request("GET", "api/kernels")`."""
        headers = {"Authorization": f"token {self.token}"}
        return httpx.request(method, self.url(path), headers=headers, timeout=timeout_s, trust_env=False)

    def start(self) -> None:
        """Start the server and return once its REST API and the /lab page respond with 200."""
        for folder in ("notebooks", "config", "data", "runtime", "ipython"):
            (self.base_dir / folder).mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._write_user_settings()
        self.port = _free_port()

        self._log_file = self.log_path.open("w", encoding="utf-8")
        self._process = subprocess.Popen(
            self._command(),
            cwd=self.root_dir,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Shut the server and its kernels down, then kill any process of it that is left.

        Raises JupyterLabError naming the leaked processes if any was still running, after killing them.
        """
        process, self._process = self._process, None
        if process is None:
            return

        if process.poll() is None:
            self._request_shutdown()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_S)
        self._log_file.close()

        leaked = self.running_pids()
        for pid in leaked:
            _kill(pid)
        if leaked:
            raise JupyterLabError(
                f"JupyterLab left {len(leaked)} process(es) running after shutdown: {leaked}. They were "
                f"killed. Its log: {self.log_path}"
            )

    def stop_kernels(self) -> None:
        """Delete every session and kernel, so the next test starts with none running."""
        for session in self.request("GET", "api/sessions").json():
            self.request("DELETE", f"api/sessions/{session['id']}")
        for kernel in self.request("GET", "api/kernels").json():
            self.request("DELETE", f"api/kernels/{kernel['id']}")

    def log_tail(self) -> str:
        """Return the end of the server's log, for error messages."""
        if not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]

    def running_pids(self) -> list[int]:
        """Return the ids of processes whose command line names `base_dir` or a path inside it.

        NOTE: this reads Linux's /proc; elsewhere it finds nothing, so leaks go unreported.
        """
        marker = re.compile(re.escape(str(self.base_dir).encode()) + rb"(/|\x00)")
        found = []
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                command_line = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.search(command_line) and int(entry.name) != os.getpid():
                found.append(int(entry.name))
        return found

    def __enter__(self) -> JupyterLab:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _command(self) -> list[str]:
        return [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.terminals_enabled=False",
            # No request to the internet: no news feed, no PyPI version check, no PyPI extension search.
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            # window.jupyterapp lets the page helper run commands such as notebook:run-all-cells.
            "--LabApp.expose_app_in_browser=True",
        ]

    def _write_user_settings(self) -> None:
        # Without these the page shows "Would you like to get notified about official Jupyter news?"
        # in a toast that covers the bottom right of the notebook, and requests update checks.
        notification = self._settings_dir / "@jupyterlab/apputils-extension/notification.jupyterlab-settings"
        notification.parent.mkdir(parents=True, exist_ok=True)
        notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
        # JupyterLab 4 leaves cells scrolled out of view out of the page ("windowing"), and an
        # element scrolled to can leave the page in the middle of the scroll. Keep every cell in it.
        tracker = self._settings_dir / "@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
        tracker.parent.mkdir(parents=True, exist_ok=True)
        tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")

    def _environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        environment.update(self.environment)
        environment.update(
            JUPYTER_CONFIG_DIR=str(self.base_dir / "config"),
            JUPYTER_DATA_DIR=str(self.base_dir / "data"),
            JUPYTER_RUNTIME_DIR=str(self.base_dir / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(self._settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self.base_dir / "config/lab/workspaces"),
            IPYTHONDIR=str(self.base_dir / "ipython"),
            JUPYTER_PREFER_ENV_PATH="1",
            JUPYTER_PLATFORM_DIRS="1",
        )
        return environment

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers("api/status") or not self._answers("lab"):
            if self._process.poll() is not None:
                raise JupyterLabError(
                    f"JupyterLab exited with code {self._process.returncode} while starting. "
                    f"Log {self.log_path} ends with:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise JupyterLabError(
                    f"Timed out after {START_TIMEOUT_S:.0f} s waiting for JupyterLab to respond on {self.base_url}. "
                    f"Log {self.log_path} ends with:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def _answers(self, path: str) -> bool:
        try:
            return self.request("GET", path, timeout_s=2.0).status_code == 200
        except httpx.TransportError:
            return False

    def _request_shutdown(self) -> None:
        try:
            self.request("POST", "api/shutdown")
        except httpx.TransportError:
            pass  # The server closes connections as it stops, and process.wait() checks that it exited.


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
