"""The python-telegram-bot side of quizkit: turning updates into engine input and replies into Bot API calls."""

from quizkit.bot.incoming import to_incoming
from quizkit.bot.telegram import make_bot

__all__ = ["make_bot", "to_incoming"]
