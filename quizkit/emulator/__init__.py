"""A local Telegram Bot API emulator for rehearsals, tests and benchmarks.

`Emulator` serves the Bot API subset that quizkit uses on 127.0.0.1, with Telegram's envelope,
error texts, getUpdates offsets, webhook push and optional flood limits. `SimUser` is a simulated
participant; `quizkit.emulator.updates` builds the updates such users send.
"""

from quizkit.emulator._emulator import Emulator
from quizkit.emulator.updates import SimUser

__all__ = ["Emulator", "SimUser"]
