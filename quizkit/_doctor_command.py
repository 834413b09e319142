"""`quizkit doctor`: run the checks of `quizkit.doctor` and print each as OK, FAIL or SKIP with what to do."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from quizkit.cli import EXIT_FAILED


def add_doctor_command(commands: argparse._SubParsersAction) -> None:
    """Add the doctor subcommand to the `quizkit` parser."""
    doctor = commands.add_parser(
        "doctor",
        help="check the token, webhook, channel, public URL and database before an event; exits 1 if any fails",
        description="Check what commonly breaks on event day and say what to do: the token (getMe), the "
                    "webhook (getWebhookInfo), the bot's rights in the channel, the public URL, the database "
                    "and the transport. Give the options you give quizkit serve. Exits with 1 if any check fails.",
    )
    doctor.add_argument("--event", default=None, metavar="FILE",
                        help="event file (.toml): its channel, language and database are checked")
    doctor.add_argument("--db", type=Path, default=None,
                        help="quizkit SQLite file (default with an event file: the file's path with .db)")
    doctor.add_argument("--token-file", type=Path, default=None,
                        help="file that contains only the bot token, mode 0600 (default: the QUIZKIT_BOT_TOKEN "
                             "environment variable)")
    doctor.add_argument("--api-url", default="https://api.telegram.org",
                        help="Bot API root URL, such as http://127.0.0.1:8081 for `quizkit emulator` "
                             "(default: %(default)s)")
    doctor.add_argument("--channel", type=int, default=None,
                        help="numeric id of the channel, such as -1001234567890 (default: the event file's channel)")
    doctor.add_argument("--transport", choices=["webhook", "polling"], default="webhook",
                        help="the transport quizkit serve will use (default: %(default)s)")
    doctor.add_argument("--public-url", default=None, help="the --public-url quizkit serve will use")
    doctor.add_argument("--secret", default=None, help="the --secret quizkit serve will use, if any")
    doctor.add_argument("--self-signed", action="store_true", help="quizkit serve will use --self-signed")
    doctor.add_argument("--language", choices=["it", "en"], default=None,
                        help="language of the report (default: the event file's, else the locale's)")
    doctor.set_defaults(run=_run_doctor)


def _run_doctor(args: argparse.Namespace) -> int:
    from quizkit._doctor_texts import TEXTS
    from quizkit.bot_token import read_bot_token
    from quizkit.doctor import DoctorSettings, Status, run_doctor
    from quizkit.event_file import load_event_file

    token = read_bot_token(args.token_file)
    event_file = load_event_file(args.event) if args.event else None
    db_path = args.db
    if db_path is None and event_file is not None:
        db_path = Path(args.event).with_suffix(".db")
    language = args.language or (event_file.language if event_file else _locale_language())
    channel = args.channel
    if channel is None and event_file is not None:
        channel = event_file.channel_id

    settings = DoctorSettings(
        token=token,
        api_url=args.api_url,
        language=language,
        channel_id=channel,
        transport=args.transport,
        public_url=args.public_url,
        secret_token=args.secret,
        self_signed=args.self_signed,
        db_path=db_path,
    )
    results = run_doctor(settings)
    what_to_do = TEXTS[language]["what_to_do"]
    for result in results:
        print(f"{result.status.value:<4}  {result.label}: {result.message}")
        if result.fix:
            print(f"      {what_to_do}: {result.fix}")
    sys.stdout.flush()
    return EXIT_FAILED if any(result.status is Status.FAIL for result in results) else 0


def _locale_language() -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "it" if value.lower().startswith("it") else "en"
    return "en"
