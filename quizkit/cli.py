"""The `quizkit` command line: one subcommand per job, errors turned into exit codes here only."""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from pathlib import Path

from quizkit.errors import QuizkitError
from quizkit.log_redaction import mask_secrets

# 2 is argparse's code for invalid arguments; everything that fails after parsing exits with 1.
EXIT_FAILED = 1


class UsageError(QuizkitError):
    """A combination of command-line options is invalid, such as an event name without --db."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line with `argv` (default: sys.argv) and return the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    levels = {0: logging.WARNING, 1: logging.INFO}
    logging.basicConfig(level=levels.get(args.verbose, logging.DEBUG),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except (QuizkitError, TimeoutError, OSError, sqlite3.Error) as error:
        # TODO: these messages stay English under an Italian locale. Only quizkit host (results and
        # errors) and quizkit rehearse have Italian texts.
        print(f"quizkit: {mask_secrets(str(error))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("quizkit: interrupted", file=sys.stderr)
        return 130


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quizkit",
        description="Run live quiz events on Telegram from a Jupyter notebook.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log server start, stop and each question at INFO level; -vv logs everything at DEBUG "
                             "level, Bot API requests included (the bot token is masked)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    rehearse = commands.add_parser(
        "rehearse",
        help="run a whole event locally: Bot API emulator, server and a simulated crowd (no token needed)",
        description="Run a whole event against the local Bot API emulator with a simulated crowd, "
                    "then print each question's totals and podium and the final leaderboard.",
    )
    rehearse.add_argument("--profile", choices=["codeweek2016", "classroom"], default="codeweek2016",
                          help="crowd to simulate: codeweek2016 (974 participants, 14 questions) or classroom (25 students)")
    rehearse.add_argument("--participants", type=_positive_int, default=None,
                          help="scale the profile to this many participants")
    rehearse.add_argument("--time-scale", type=_time_scale, default=1.0,
                          help="stretch (>1) or compress (<1) the event's timeline; 1.0 takes about a minute")
    rehearse.add_argument("--transport", choices=["webhook", "polling"], default="webhook",
                          help="how the bot receives updates: webhook (push, default) or polling (pull)")
    rehearse.add_argument("--db", type=_database_path, default=Path("quizkit-rehearsal.db"),
                          help="SQLite file to store the event in; each rehearsal adds a new event (default: %(default)s)")
    rehearse.add_argument("--seed", type=int, default=2016, help="random seed of the crowd (default: %(default)s)")
    rehearse.add_argument("--language", choices=["it", "en"], default="it",
                          help="event language, used for channel posts and participants without a known language")
    rehearse.add_argument("--summary-json", type=_output_path, default=None, help="also write the summary to this JSON file")
    rehearse.add_argument("--no-progress", action="store_true", help="do not draw progress bars")
    rehearse.set_defaults(run=_run_rehearse)

    emulator = commands.add_parser(
        "emulator",
        help="serve the local Telegram Bot API emulator on 127.0.0.1 until interrupted",
        description="Serve the Bot API emulator on 127.0.0.1 for a bot token, so that a server and a "
                    "crowd in other processes can use it.",
    )
    emulator.add_argument("--port", type=_port, default=8081, help="TCP port on 127.0.0.1 (default: %(default)s)")
    emulator.add_argument("--token", default=None, help="bot token to accept (default: the rehearsal token)")
    emulator.add_argument("--username", default="quizkit_rehearsal_bot", help="the bot's username (default: %(default)s)")
    emulator.add_argument("--retry-delay", type=_delay, default=1.0, metavar="SECONDS",
                          help="wait before retrying a failed webhook delivery, doubled after each failure "
                               "(default: %(default)s)")
    emulator.add_argument("--max-retry-delay", type=_delay, default=60.0, metavar="SECONDS",
                          help="longest wait between webhook delivery attempts (default: %(default)s)")
    emulator.set_defaults(run=_run_emulator)

    from quizkit._process_commands import add_process_commands

    add_process_commands(commands)

    from quizkit._doctor_command import add_doctor_command

    add_doctor_command(commands)

    export = commands.add_parser(
        "export",
        help="write an event's participants, teams, questions, answers and traffic to CSV, xlsx or parquet files",
        description="Write one event's tables into a folder: one file per table (csv, parquet) or one "
                    "workbook with a sheet per table (xlsx). The database is opened read-only, so a "
                    "running server is not disturbed.",
    )
    export.add_argument("--db", type=Path, required=True, help="quizkit SQLite file to read")
    export.add_argument("--format", choices=["csv", "xlsx", "parquet"], default="csv",
                        help="file format (default: %(default)s)")
    export.add_argument("--out", type=Path, required=True, help="folder to write into; created when missing")
    export.add_argument("--anonymise", action="store_true",
                        help="replace Telegram user ids, names, usernames and team names with pseudonyms")
    export.add_argument("--event", default=None, help="event name (default: the only or the most recent event)")
    export.set_defaults(run=_run_export)

    qr = commands.add_parser(
        "qr",
        help="write a QR code (PNG and SVG) per question of an event, and optionally a printable PDF sheet",
        description="Write <CODE>.png and <CODE>.svg for each question of one event, each encoding the "
                    "question's deep link, and with --pdf an A4 sheet with one page per question. With an "
                    "event file, the event is created in the database first (so its codes are fixed); with "
                    "an event name, the database is opened read-only.",
    )
    qr.add_argument("--db", type=Path, default=None,
                    help="quizkit SQLite file; required without an event file (default with an event file: the "
                         "file's path with .db instead of .toml)")
    qr.add_argument("--event", default=None, metavar="FILE|NAME",
                    help="event file (.toml) or event name (default: the only or the most recent event in --db)")
    qr.add_argument("--out", type=Path, required=True, help="folder to write the images into; created when missing")
    qr.add_argument("--pdf", type=_output_path, default=None,
                    help="also write a PDF sheet to this file, one A4 page per question")
    qr.set_defaults(run=_run_qr)

    bench = commands.add_parser(
        "bench",
        help="measure throughput on 127.0.0.1: the floor, quizkit's server and a plain python-telegram-bot bot under "
             "wrk, closing and leaderboard times, and push against pull",
        description="Run the benchmark on 127.0.0.1 and print its tables. The throughput part needs the `wrk` load "
                    "generator (apt-get install -y wrk) and, for the fastest floors, the bench extra "
                    "(pip install 'quizkit[bench]'). It takes about ten minutes.",
    )
    bench.add_argument("--json", type=_output_path, default=None, dest="json_path",
                       help="also write every figure to this JSON file")
    bench.add_argument("--duration", type=_duration, default=10.0,
                       help="seconds each load run lasts (default: %(default)s)")
    bench.add_argument("--parts", type=_bench_parts, default=None,
                       help="comma-separated parts to run: throughput, closing, pushpull (default: all)")
    bench.add_argument("--quick", action="store_true",
                       help="run every part briefly at a tiny load (under a minute), to check that the harness works")
    bench.set_defaults(run=_run_bench)
    return parser


def _run_rehearse(args: argparse.Namespace) -> int:
    from quizkit.rehearsal import RehearsalOptions, rehearse

    options = RehearsalOptions(
        profile=args.profile,
        participants=args.participants,
        time_scale=args.time_scale,
        transport=args.transport,
        db_path=args.db,
        seed=args.seed,
        language=args.language,
        summary_json=args.summary_json,
        progress=not args.no_progress,
    )
    summary = rehearse(options)
    complete = summary.answers_stored == summary.answers_sent and summary.questions_closed > 0
    return 0 if complete else EXIT_FAILED


def _run_emulator(args: argparse.Namespace) -> int:
    import threading

    from quizkit.bot.telegram import masked_token
    from quizkit.emulator import Emulator
    from quizkit.rehearsal import REHEARSAL_CHANNEL_ID, REHEARSAL_TOKEN

    token = args.token or REHEARSAL_TOKEN
    with Emulator(port=args.port, retry_delay_s=args.retry_delay, max_retry_delay_s=args.max_retry_delay) as emulator:
        emulator.add_bot(token, args.username)
        emulator.add_channel(token, REHEARSAL_CHANNEL_ID, "Quizkit rehearsal")
        print(f"Bot API emulator for bot {masked_token(token)} (@{args.username}) at {emulator.base_url}<token>/; Ctrl-C stops it.")
        threading.Event().wait()
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from quizkit.analysis import export, load

    if args.out.exists() and not args.out.is_dir():
        print(f"quizkit: --out {str(args.out)!r} is a file; give a folder to write the tables into.", file=sys.stderr)
        return EXIT_FAILED

    results = load(args.db, event=args.event)
    try:
        paths = export(results, args.out, format=args.format, anonymise=args.anonymise)
    except ImportError as error:
        print(f"quizkit: {error} Install it with: pip install 'quizkit[dev]'", file=sys.stderr)
        return EXIT_FAILED
    for path in dict.fromkeys(paths.values()):
        print(path)
    return 0


def _run_qr(args: argparse.Namespace) -> int:
    from quizkit import qr

    if args.out.exists() and not args.out.is_dir():
        print(f"quizkit: --out {str(args.out)!r} is a file; give a folder to write the images into.", file=sys.stderr)
        return EXIT_FAILED

    codes = _event_codes(args.event, args.db)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        for question in codes.questions:
            link = qr.deep_link(codes.bot_username, question.code)
            print(qr.qr_png(link, args.out / f"{question.code}.png"))
            print(qr.qr_svg(link, args.out / f"{question.code}.svg"))
        if args.pdf is not None:
            print(qr.sheet_pdf(codes.questions, codes.bot_username, args.pdf, codes.language))
    except ImportError as error:
        print(f"quizkit: {error}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _run_bench(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from quizkit.benchmark.run import PARTS, quick_options, run_benchmark, write_json
    from quizkit.benchmark.throughput import ThroughputOptions

    import signal

    def interrupt(signal_number, frame) -> None:
        raise KeyboardInterrupt

    # The servers under test are child processes, so SIGTERM unwinds like Ctrl-C and each one is stopped.
    previous = signal.signal(signal.SIGTERM, interrupt)
    options = quick_options() if args.quick else replace(ThroughputOptions(), duration_s=args.duration)
    try:
        results = run_benchmark(options, args.parts or PARTS, quick=args.quick)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.json_path is not None:
        write_json(results, args.json_path)
    return 0


def _duration(text: str) -> float:
    return _number(text, float, 1.0, 3600.0, "a number of seconds from 1 to 3600")


def _bench_parts(text: str) -> list[str]:
    from quizkit.benchmark.run import PARTS

    parts = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in parts if part not in PARTS]
    if not parts or unknown:
        raise argparse.ArgumentTypeError(f"expected comma-separated parts out of {', '.join(PARTS)}, got {text!r}")
    return parts


def _event_codes(event: str | None, db: Path | None):
    from quizkit import qr
    from quizkit._process_commands import event_and_database

    if event is None:
        if db is None:
            raise UsageError("Give --event FILE (an event file) or --db with the database of the event.")
        return qr.load_event_codes(db, event=None)
    event_file, db_path = event_and_database(event, db)
    if event_file is None:
        return qr.load_event_codes(db_path, event=event)
    return _event_file_codes(event_file, db_path)


def _event_file_codes(event_file, db_path: Path):
    from quizkit import qr
    from quizkit.event_setup import open_event
    from quizkit.store import Store

    store = Store(db_path)
    try:
        stored = store.event(event_file.name)
        username = event_file.bot_username or (stored.bot_username if stored is not None else None)
        if username is None:
            raise UsageError(
                f"{event_file.path}: the QR codes need the bot's username; write bot_username = \"your_bot\" in "
                "the event file, or start `quizkit serve --event` once, which reads it from Telegram."
            )
        engine = open_event(store, event_file, username)
        questions = tuple(qr.QuestionCode(question.number, question.code) for question in engine.questions())
        return qr.EventCodes(event_file.name, event_file.language, engine.event.bot_username, questions)
    finally:
        store.close()


def _number(text: str, parse, low: float, high: float, expected: str):
    # NaN and unparsable text fail the range check, so every bad value gets the same message.
    try:
        value = parse(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    return _number(text, int, 1, float("inf"), "a positive integer")


def _time_scale(text: str) -> float:
    # 1000 stretches the one-minute rehearsal to about 17 hours, longer than any real event.
    return _number(text, float, float.fromhex("0x1p-1074"), 1000.0, "a positive number up to 1000")


def _delay(text: str) -> float:
    return _number(text, float, 0.001, 3600.0, "a number of seconds from 0.001 to 3600")


def _port(text: str) -> int:
    return _number(text, int, 1, 65535, "a TCP port from 1 to 65535")


def _file_path(text: str, kind: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give the path of {kind} in it")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {str(path.parent)!r} does not exist; create it first")
    return path


def _database_path(text: str) -> Path:
    return _file_path(text, "a database file")


def _output_path(text: str) -> Path:
    return _file_path(text, "a file to write")


if __name__ == "__main__":
    sys.exit(main())
