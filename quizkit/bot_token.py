"""Read the bot token from the QUIZKIT_BOT_TOKEN environment variable or from a file only its owner can read.

The token never comes from the command line, where other users of the machine can see it in the
process list, nor from an event file, which gets copied and shared. Errors name the variable or the
file, never the token.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from quizkit.errors import TokenError

__all__ = ["TOKEN_VARIABLE", "is_well_formed", "read_bot_token"]

TOKEN_VARIABLE = "QUIZKIT_BOT_TOKEN"
# @BotFather's tokens are the bot's numeric id, a colon and a secret of letters, digits, "_" and "-"
# (35 characters in the tokens seen so far). 30 is a lower bound that catches a cut-off paste.
_TOKEN = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{30,100}")
# Anything larger is not a token file, so it is not read into memory.
_MAX_FILE_BYTES = 4096


def is_well_formed(token: str) -> bool:
    """Return True when `token` has the shape of a @BotFather token: digits, a colon, 30+ characters."""
    return _TOKEN.fullmatch(token) is not None


def read_bot_token(token_file: str | Path | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Return the token from `token_file` when given, else from the QUIZKIT_BOT_TOKEN variable.

    The file must be a regular file that neither its group nor other users can read or write
    (mode 0600 or 0400). Surrounding whitespace, such as the final newline, is removed. Raises
    TokenError when no token is found or the file is not private.
    """
    if token_file is not None:
        return _read_file(Path(token_file))

    environ = os.environ if environ is None else environ
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise TokenError(
            f"No bot token: set the {TOKEN_VARIABLE} environment variable, or pass --token-file PATH "
            "with a file that contains only the token (chmod 600 PATH)."
        )
    return token


def _read_file(path: Path) -> str:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise TokenError(f"Token file {str(path)!r} not found; write the token from @BotFather into it and run "
                         f"chmod 600 {_shell_quote(path)}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise TokenError(f"Token file {str(path)!r} is not a regular file; give the path of a file that contains "
                         "only the token.")
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TokenError(
            f"Token file {str(path)!r} has mode {stat.S_IMODE(info.st_mode):04o}, so other users of this machine "
            f"can read or change it; run chmod 600 {_shell_quote(path)} and start again."
        )
    if info.st_size > _MAX_FILE_BYTES:
        raise TokenError(f"Token file {str(path)!r} has {info.st_size} bytes, too many for a bot token; "
                         "give a file that contains only the token.")

    try:
        token = path.read_text(encoding="utf-8").strip()
    except (PermissionError, UnicodeDecodeError) as error:
        raise TokenError(f"Token file {str(path)!r} cannot be read ({type(error).__name__}); check that it is "
                         "yours and contains only the token.") from None
    if not token:
        raise TokenError(f"Token file {str(path)!r} is empty; write the token from @BotFather into it.")
    if len(token.split()) > 1:
        raise TokenError(f"Token file {str(path)!r} contains more than one word; keep only the token in it.")
    return token


def _shell_quote(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))
