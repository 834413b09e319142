"""CPU time and memory of another process and its descendants on Linux, read from /proc."""

from __future__ import annotations

import os
from dataclasses import dataclass

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessSample:
    """CPU seconds used so far (user and system), resident memory now and at its peak, in MiB."""

    cpu_s: float
    rss_mb: float
    peak_rss_mb: float


def sample(pid: int) -> ProcessSample:
    """Read the CPU time and memory of process `pid` and of every process below it, added up.

    Servers with worker processes (granian) do their work in the children. Raises
    ProcessLookupError when `pid` is gone. NOTE: CPU time of children that already exited is lost.
    """
    total = _sample_one(pid)
    for child in _descendants(pid):
        try:
            part = _sample_one(child)
        except ProcessLookupError:
            continue  # it exited between the listing and the read
        total = ProcessSample(total.cpu_s + part.cpu_s, total.rss_mb + part.rss_mb, total.peak_rss_mb + part.peak_rss_mb)
    return total


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def _sample_one(pid: int) -> ProcessSample:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name in field 2 may contain spaces, so count fields after its ")".
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status") as status:
            memory = {line.split(":")[0]: line.split()[1] for line in status if line.startswith(("VmRSS", "VmHWM"))}
    except FileNotFoundError:
        raise ProcessLookupError(f"Process {pid} is not running, so its CPU time cannot be read.") from None
    # utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the command name.
    cpu_s = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return ProcessSample(cpu_s, int(memory["VmRSS"]) / 1024, int(memory["VmHWM"]) / 1024)
