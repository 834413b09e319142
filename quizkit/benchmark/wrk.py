"""Run Debian's `wrk` with `load.lua` and read back its result and its CPU time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from quizkit.errors import QuizkitError

SCRIPT = Path(__file__).with_name("load.lua")
INSTALL_HINT = "install it with `apt-get install -y wrk` (as root), or run `make bench` as root"


class WrkMissing(QuizkitError):
    """The `wrk` load generator is not installed."""


class WrkFailed(QuizkitError):
    """wrk exited with an error or wrote no result."""


@dataclass(frozen=True)
class WrkResult:
    """The measurements of one wrk run: requests, errors, latency percentiles and wrk's own CPU time."""

    duration_s: float
    requests: int
    errors: dict[str, int]
    latency_ms: dict[str, float]
    statuses: dict[str, int]
    answers_sent: int
    answers_unexpected: int
    acked_answer_update_ids: list[int] = field(repr=False)
    cpu_s: float

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def error_count(self) -> int:
        """Socket errors, time-outs and HTTP statuses above 399."""
        return sum(self.errors.values())


def wrk_path() -> str:
    """Return the path of the wrk executable, or raise WrkMissing."""
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(f"The load generator `wrk` is not installed; {INSTALL_HINT}.")
    return path


def split_workload(workload: Path, prefix: Path, parts: int) -> None:
    """Write the participants of `workload` round-robin into `parts` files PREFIX.0 to PREFIX.<parts - 1>.

    Each wrk thread then parses only its own participants, which keeps wrk's start-up cost small.
    """
    outputs = [[] for _ in range(parts)]
    with workload.open(encoding="utf-8") as lines:
        for line in lines:
            participant = int(line.split("\t", 1)[0])
            outputs[participant % parts].append(line)
    for index, chunk in enumerate(outputs):
        if not chunk:
            raise ValueError(f"Workload {str(workload)!r} has fewer participants than the {parts} wrk threads; "
                             "use fewer connections or a larger profile.")
        Path(f"{prefix}.{index}").write_text("".join(chunk), encoding="utf-8")


def run_wrk(
    url: str,
    workload: Path,
    *,
    duration_s: float,
    connections: int = 40,
    rate: float = 0,
    secret: str = "",
    user_base: int = 100_000_000,
    update_base: int = 1,
    timeout_s: float = 5.0,
) -> WrkResult:
    """Load `url` for `duration_s` with `connections` connections, each in its own wrk thread.

    `rate` caps the total requests per second (0: as fast as the server responds). `user_base` and
    `update_base` keep the user ids and update_ids of several runs on one server apart.
    """
    with tempfile.TemporaryDirectory(prefix="quizkit-wrk-") as folder:
        result_path = Path(folder, "result.json")
        data_prefix = Path(folder, "workload")
        split_workload(workload, data_prefix, connections)
        environment = {
            **os.environ,
            "QUIZKIT_WRK_DATA": str(data_prefix),
            "QUIZKIT_WRK_RESULT": str(result_path),
            "QUIZKIT_WRK_THREADS": str(connections),
            "QUIZKIT_WRK_RATE": str(rate),
            "QUIZKIT_WRK_SECRET": secret,
            "QUIZKIT_WRK_USER_BASE": str(user_base),
            "QUIZKIT_WRK_UPDATE_BASE": str(update_base),
        }
        command = [wrk_path(), "-t", str(connections), "-c", str(connections), "-d", f"{max(1, round(duration_s))}s",
                   "--timeout", f"{timeout_s:g}s", "-s", str(SCRIPT), url]
        output_path = Path(folder, "output.txt")
        with output_path.open("wb") as output:
            # wait4, unlike wait, returns the child's CPU time, which is the generator's cost.
            process = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(process.pid, 0)
        exit_code = process.returncode = os.waitstatus_to_exitcode(status)
        if exit_code != 0 or not result_path.exists():
            raise WrkFailed(
                f"wrk against {url} exited with code {exit_code} and wrote no result; "
                f"its output: {output_path.read_text(errors='replace').strip()[-500:]!r}"
            )
        data = json.loads(result_path.read_text())

    latency = data["latency_us"]
    return WrkResult(
        duration_s=data["duration_us"] / 1e6,
        requests=data["requests"],
        errors=data["errors"],
        latency_ms={name: value / 1000 for name, value in latency.items()},
        statuses=data["statuses"],
        answers_sent=data["answers_sent"],
        answers_unexpected=data["answers_unexpected"],
        acked_answer_update_ids=data["acked_answer_update_ids"],
        cpu_s=usage.ru_utime + usage.ru_stime,
    )
