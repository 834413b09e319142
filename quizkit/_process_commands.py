"""The subcommands that run an event across processes: `serve`, `host` and `crowd`.

`quizkit serve` runs the server of one event until a signal. `quizkit host` sends host actions to it
through its control endpoint, and `quizkit crowd` plays a simulated crowd against a `quizkit emulator`
in another process. So any of them can be killed and restarted while the others go on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from quizkit.bot_token import TOKEN_VARIABLE
from quizkit.cli import EXIT_FAILED, UsageError, _database_path, _number, _port, _positive_int, _time_scale
from quizkit.console import HostTexts, host_error_text, host_texts
from quizkit.errors import QuizkitError
from quizkit.event_file import EventFile
from quizkit.log_redaction import hide_in_logs



def add_process_commands(commands: argparse._SubParsersAction) -> None:
    """Add the serve, host and crowd subcommands to the `quizkit` parser."""
    _add_serve(commands)
    _add_host(commands)
    _add_crowd(commands)


def _add_serve(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve one event's bot until SIGINT or SIGTERM, with a control endpoint for `quizkit host`",
        description="Serve the bot of an event stored in the database, by webhook or polling, until SIGINT "
                    "or SIGTERM. Host actions reach it through a control endpoint on 127.0.0.1, whose URL "
                    "and token are written to <db>.control (mode 0600).",
    )
    serve.add_argument("--token-file", type=Path, default=None,
                       help=f"file that contains only the bot token, mode 0600 (default: the {TOKEN_VARIABLE} "
                            "environment variable)")
    serve.add_argument("--api-url", default="https://api.telegram.org",
                       help="Bot API root URL, such as http://127.0.0.1:8081 for `quizkit emulator` (default: %(default)s)")
    serve.add_argument("--event", required=True, metavar="FILE|NAME",
                       help="event file (.toml), whose event is created on the first start, or the name of an "
                            "event already in the database")
    serve.add_argument("--db", type=_database_path, default=None,
                       help="quizkit SQLite file; required with an event name (default with an event file: the "
                            "file's path with .db instead of .toml)")
    serve.add_argument("--listen", type=_address, default=("127.0.0.1", 8443), metavar="HOST:PORT",
                       help="address the webhook listens on (default: 127.0.0.1:8443)")
    serve.add_argument("--public-url", default=None,
                       help="URL Telegram reaches the webhook at, without /webhook, such as https://quiz.example.org "
                            "(default: http://HOST:PORT, which only a local emulator can reach)")
    serve.add_argument("--secret", default=None,
                       help="webhook secret token, 1-256 characters of A-Z a-z 0-9 _ - (default: random per start)")
    serve.add_argument("--transport", choices=["webhook", "polling"], default="webhook",
                       help="how the bot receives updates: webhook (push, default) or polling (pull)")
    serve.add_argument("--max-connections", type=_max_connections, default=None,
                       help="webhook connections Telegram may open at once, 1 to 100 (default: the event file's "
                            "max_connections, else 40)")
    serve.add_argument("--drop-pending-updates", action="store_true",
                       help="drop the pending updates Telegram stores for the bot on start (default: keep and process them)")
    serve.add_argument("--delete-webhook-on-stop", action="store_true",
                       help="delete the webhook on stop (default: keep it, so Telegram keeps updates for the next start)")
    serve.add_argument("--self-signed", action="store_true",
                       help="serve HTTPS with a self-signed certificate for the IP address of --public-url and upload "
                            "it with setWebhook; for a server without a domain name")
    serve.add_argument("--control", type=_address, default=("127.0.0.1", 0), metavar="HOST:PORT",
                       help="address of the control endpoint (default: 127.0.0.1 on a free port, printed at start)")
    serve.set_defaults(run=_run_serve)


def _add_host(commands: argparse._SubParsersAction) -> None:
    host = commands.add_parser(
        "host",
        help="open or close a question, or show the status or leaderboard, of a running `quizkit serve`",
        description="Send a host action to the `quizkit serve` process of a database, through the control "
                    "endpoint named in <db>.control.",
    )
    host.add_argument("--db", type=Path, required=True, help="quizkit SQLite file the server serves")
    host.add_argument("--json", action="store_true", help="print the endpoint's JSON response instead of text")
    actions = host.add_subparsers(title="actions", metavar="ACTION", required=True)

    open_ = actions.add_parser("open", help="open a question and post its announcement")
    open_.add_argument("question", help="question number or code")
    open_.set_defaults(action="open")

    close = actions.add_parser("close", help="close a question, rank its answers and post the podium")
    close.add_argument("question", help="question number or code")
    close.add_argument("--answer", action="append", default=None, dest="answers",
                       help="accepted answer; repeat for several (default: the answers given when the question was added)")
    close.set_defaults(action="close")

    for name, text in (("status", "show the server's counters and each question's state and answers"),
                       ("leaderboard", "show the standings over closed questions")):
        action = actions.add_parser(name, help=text)
        action.set_defaults(action=name)
    host.set_defaults(run=_run_host)


def _add_crowd(commands: argparse._SubParsersAction) -> None:
    crowd = commands.add_parser(
        "crowd",
        help="play a simulated crowd against a `quizkit emulator` running in another process",
        description="Play a crowd profile against a local emulator: every registration first, then the "
                    "in-time answers of each question in --codes, paced by the profile. Prints the updates "
                    "sent as JSON.",
    )
    crowd.add_argument("--api-url", required=True, help="root URL of the emulator, such as http://127.0.0.1:8081")
    crowd.add_argument("--token", default=None, help=f"bot token the emulator serves; the {TOKEN_VARIABLE} "
                                                     "environment variable works too")
    crowd.add_argument("--profile", choices=["codeweek2016", "classroom"], required=True, help="crowd to simulate")
    crowd.add_argument("--participants", type=_positive_int, default=None,
                       help="scale the profile to this many participants")
    crowd.add_argument("--seed", type=int, default=2016, help="random seed of the crowd (default: %(default)s)")
    crowd.add_argument("--time-scale", type=_time_scale, default=1.0,
                       help="stretch (>1) or compress (<1) the profile's timeline (default: %(default)s)")
    crowd.add_argument("--codes", type=_codes, required=True,
                       help="comma-separated codes of the opened questions, in the profile's question order")
    crowd.set_defaults(run=_run_crowd)


def _run_serve(args: argparse.Namespace) -> int:
    import logging

    from quizkit.bot.telegram import masked_token
    from quizkit.bot_token import read_bot_token
    from quizkit.serving import ServeOptions, redact, serve

    token = read_bot_token(args.token_file)
    hide_in_logs(token, masked_token(token))
    # Start and stop lines at INFO even without -v, and httpx's line per request only with -vv.
    if args.verbose < 2:
        logging.getLogger("quizkit").setLevel(logging.INFO)
        logging.getLogger("httpx").setLevel(logging.WARNING)

    if args.control[0] not in ("127.0.0.1", "localhost"):
        print(f"quizkit: --control {args.control[0]!r} is not 127.0.0.1 or localhost; the control endpoint "
              "accepts host actions, so it only listens on this machine.", file=sys.stderr)
        return EXIT_FAILED

    event_file, db_path = event_and_database(args.event, args.db)
    options = ServeOptions(
        token=token,
        db_path=db_path,
        event=args.event,
        host=args.listen[0],
        port=args.listen[1],
        api_url=args.api_url,
        public_url=args.public_url,
        secret_token=args.secret,
        transport=args.transport,
        control_host=args.control[0],
        control_port=args.control[1],
        event_file=event_file,
        max_connections=args.max_connections,
        drop_pending_updates=args.drop_pending_updates,
        delete_webhook_on_stop=args.delete_webhook_on_stop,
        self_signed=args.self_signed,
    )
    try:
        serve(options)
    except (QuizkitError, OSError) as error:
        # python-telegram-bot names the token in some errors, such as a token the Bot API rejects.
        print(f"quizkit: {redact(str(error), token)}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def event_and_database(event: str, db: Path | None) -> tuple[EventFile | None, Path]:
    """Return the event file named by --event, if it names one, and the database path to use.

    --event is an event file when it ends in .toml or names an existing file; otherwise it is an
    event name and --db is required. Raises InvalidEventFile or UsageError.
    """
    from quizkit.event_file import load_event_file

    if not (event.endswith(".toml") or Path(event).is_file()):
        if db is None:
            raise UsageError(f"--event {event!r} is an event name, so --db is required; give the database that "
                             "contains it, or give an event file (.toml) instead.")
        return None, db
    event_file = load_event_file(event)
    return event_file, db if db is not None else Path(event).with_suffix(".db")


def _run_host(args: argparse.Namespace) -> int:
    from quizkit.control import ControlError
    from quizkit.errors import StoreError
    from quizkit.store import require_database

    try:
        require_database(args.db)
    except StoreError as error:
        reason = "database_is_folder" if Path(args.db).is_dir() else "missing_database"
        return _host_failed(reason, {"path": str(args.db)}, str(error))

    try:
        result = _host_action(args)
    except ControlError as error:
        return _host_failed(_host_reason(args.action, error.reason),
                            {**error.values, "question": str(getattr(args, "question", ""))}, str(error))

    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(_host_text(args.action, result))
    return 0


def _host_action(args: argparse.Namespace) -> Any:
    from quizkit.control import ControlClient

    client = ControlClient.from_file(args.db)
    if args.action == "open":
        return client.open(args.question)
    if args.action == "close":
        return client.close(args.question, args.answers)
    if args.action == "status":
        return client.status()
    return client.leaderboard()


def _host_reason(action: str, reason: str) -> str:
    # A question in the wrong state means something different to an open and to a close, and only
    # those two name a question, so elsewhere "not found" can only be an unknown path.
    if reason == "wrong_state" and action in ("open", "close"):
        return f"wrong_state_{action}"
    if reason == "not_found" and action not in ("open", "close"):
        return "failed"
    return reason


def _host_failed(reason: str, values: dict[str, str], message: str) -> int:
    print(f"quizkit: {host_error_text(host_texts(), reason, values, message)}", file=sys.stderr)
    return EXIT_FAILED


def _host_text(action: str, result: Any) -> str:
    texts = host_texts()
    if action == "open":
        return texts.opened.format(number=result["number"], code=result["code"])
    if action == "close":
        podium = ", ".join(f"{entry['rank']}. {entry['display_name']}" for entry in result["podium"])
        return texts.closed.format(number=result["number"], code=result["code"], answers=result["answers"],
                                   correct=result["correct"], percent_correct=result["percent_correct"],
                                   people_reached=result["people_reached"], podium=podium or texts.nobody)
    if action == "status":
        return _status_text(texts, result)
    if not result:
        return texts.leaderboard_empty
    return "\n".join(texts.leaderboard_row.format(position=row["position"], name=row["display_name"],
                                                  correct=row["correct"], delay_s=row["delay_s"])
                     for row in result)


def _status_text(texts: HostTexts, result: dict[str, Any]) -> str:
    server = result["server"]
    lines = [texts.status.format(event=result["event"], transport=server["transport"],
                                 updates=server["updates_total"], posts=server["posts_sent"], errors=server["errors"])]
    for question in result["questions"]:
        state = texts.states.get(question["state"], question["state"])
        lines.append(texts.question.format(number=question["number"], code=question["code"], state=state,
                                           answers=question["answers"]))
    return "\n".join(lines)


def _run_crowd(args: argparse.Namespace) -> int:
    from quizkit.emulator.remote import play_crowd

    token = _token(args)
    if token is None:
        return EXIT_FAILED
    try:
        summary = play_crowd(args.api_url, token, args.codes, profile=args.profile,
                             participants=args.participants, seed=args.seed, time_scale=args.time_scale)
    except ValueError as error:
        print(f"quizkit: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(summary))
    return 0


def _token(args: argparse.Namespace) -> str | None:
    token = args.token or os.environ.get(TOKEN_VARIABLE)
    if not token:
        print(f"quizkit: no bot token; set the {TOKEN_VARIABLE} environment variable or pass --token.", file=sys.stderr)
        return None
    return token


def _address(text: str) -> tuple[str, int]:
    host, separator, port = text.rpartition(":")
    if not separator or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, such as 127.0.0.1:8443, got {text!r}")
    port_number = 0 if port == "0" else _port(port)
    return host.strip("[]"), port_number


def _max_connections(text: str) -> int:
    return _number(text, int, 1, 100, "a whole number of connections from 1 to 100")


def _codes(text: str) -> list[str]:
    codes = [code.strip() for code in text.split(",") if code.strip()]
    if not codes:
        raise argparse.ArgumentTypeError(f"expected comma-separated question codes, such as IY1,KZ2, got {text!r}")
    return codes
