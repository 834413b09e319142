"""CPU time and memory of another process on Linux, read from /proc."""

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
    """Read process `pid`'s CPU time and memory; raises ProcessLookupError when it is gone."""
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
