"""Host actions on a running `quizkit serve` process over HTTP on 127.0.0.1, and the client that sends them.

The server side, `ControlServer`, listens on loopback and runs each request on the quiz server's
event loop through `Server.call`:

    POST /open         {"question": 3}                          -> the opened question
    POST /close        {"question": "IY3", "answers": ["Roma"]}  -> the question's totals and podium
    GET  /status                                                 -> server counters and the questions
    GET  /leaderboard                                            -> the standings over closed questions

Every request carries `Authorization: Bearer <token>`; a missing or wrong token gets 403. Errors are
JSON objects `{"error": message}`: 404 for an unknown question, 409 for a question in the wrong state,
400 for an invalid request and 503 when the quiz server is stopped.

The URL and the token are written to the control file `<database>.control`, readable only by its owner
(mode 0600), where `ControlClient.from_file` finds them.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from quizkit.engine import Engine
from quizkit.errors import InvalidQuestion, QuestionNotFound, QuestionStateError, QuizkitError
from quizkit.model import Question, QuestionResult

__all__ = ["ControlClient", "ControlError", "ControlServer", "control_file_path"]

logger = logging.getLogger("quizkit.control")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
CLIENT_TIMEOUT_S = 60.0


# The reason a ControlError gives for each HTTP status of the control endpoint; others are "failed".
_STATUS_REASONS = {400: "invalid", 403: "token", 404: "not_found", 409: "wrong_state"}


class ControlError(QuizkitError):
    """The control endpoint of `quizkit serve` cannot be reached, or it rejected a request.

    The message is English. `reason` names the failure and `values` hold what the message names, so
    a caller can say it in another language. The reasons, with their values in brackets:
    "no_control_file" (path, db), "bad_control_file" (path), "off_loopback" (url) and "unreachable"
    (url, detail). The endpoint's error responses give "invalid", "token", "not_found", "wrong_state"
    or "failed", each with `detail`, the endpoint's message.
    """

    def __init__(self, message: str, reason: str = "failed", **values: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


def control_file_path(database: str | os.PathLike[str]) -> Path:
    """Return the path of the control file beside `database`: `<database>.control`."""
    return Path(f"{os.fspath(database)}.control")


class ControlServer:
    """Serve the host actions of one event on 127.0.0.1 in a daemon thread.

    `server` is a started `quizkit.server.Server` whose engine is `engine`. `start()` binds, writes the
    control file and returns; `stop()` closes the listener and removes the file, and may be called
    any number of times.
    """

    def __init__(self, server: Any, engine: Engine, control_file: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = server
        self.engine = engine
        self.control_file = control_file
        self.token = secrets.token_urlsafe(32)
        self._host = host
        self._port = port
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The root URL the endpoint listens on, such as "http://127.0.0.1:40123"."""
        if self._http is None:
            raise RuntimeError("The control endpoint is not running; call start() first.")
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ControlServer:
        """Bind the endpoint, write the control file and serve requests in a daemon thread."""
        if self._http is not None:
            return self
        handler = type("BoundControlHandler", (_ControlHandler,), {"control": self})
        self._http = ThreadingHTTPServer((self._host, self._port), handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, name="quizkit-control", daemon=True)
        self._thread.start()
        _write_private(self.control_file, json.dumps({"url": self.url, "token": self.token}) + "\n")
        logger.info("Control endpoint listening on %s (token in %s)", self.url, self.control_file)
        return self

    def stop(self) -> None:
        """Stop serving and remove the control file if it is still ours."""
        if self._http is None:
            return
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()
        self._http = None
        self._thread = None
        try:
            if json.loads(self.control_file.read_text()).get("token") == self.token:
                self.control_file.unlink()
        except (OSError, ValueError):
            logger.debug("Control file %s was already gone or replaced", self.control_file)
        logger.info("Control endpoint stopped")

    def __enter__(self) -> ControlServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Actions, each run on the quiz server's loop.

    def open(self, body: dict[str, Any]) -> dict[str, Any]:
        question = self.server.call(self.engine.open_question, _question_ref(body))
        return _question_record(question)

    def close(self, body: dict[str, Any]) -> dict[str, Any]:
        answers = body.get("answers")
        if answers is not None and (not isinstance(answers, list) or not all(isinstance(a, str) for a in answers)):
            raise ValueError(f"'answers' must be a list of strings, got {answers!r}")
        result = self.server.call(self.engine.close_question, _question_ref(body), answers)
        return _result_record(result)

    def status(self) -> dict[str, Any]:
        def read() -> list[dict[str, Any]]:
            return [
                {**_question_record(question), "answers": self.engine.answer_count(question.number)}
                for question in self.engine.questions()
            ]

        questions = self.server.call(read)
        return {"event": self.engine.event.name, "server": asdict(self.server.status()), "questions": questions}

    def leaderboard(self) -> list[dict[str, Any]]:
        return [asdict(row) for row in self.server.call(self.engine.leaderboard)]


class _ControlHandler(BaseHTTPRequestHandler):
    control: ControlServer
    server_version = "quizkit-control"

    def do_GET(self) -> None:
        routes = {"/status": self.control.status, "/leaderboard": self.control.leaderboard}
        self._dispatch(lambda: routes[self.path]() if self.path in routes else None)

    def do_POST(self) -> None:
        routes = {"/open": self.control.open, "/close": self.control.close}
        if self.path not in routes:
            self._dispatch(lambda: None)
            return
        self._dispatch(lambda: routes[self.path](self._json_body()))

    def _dispatch(self, action) -> None:
        if not self._authorised():
            self._respond(403, {"error": "Missing or wrong control token; read it from the control file."})
            return
        try:
            result = action()
        except QuestionNotFound as error:
            self._respond(404, {"error": str(error)})
            return
        except QuestionStateError as error:
            self._respond(409, {"error": str(error)})
            return
        except (InvalidQuestion, ValueError, TypeError) as error:
            self._respond(400, {"error": f"Invalid control request: {error}"})
            return
        except QuizkitError as error:
            self._respond(503, {"error": str(error)})
            return
        except Exception as error:  # noqa: BLE001 - reported to the caller, and logged, instead of a dropped connection
            logger.debug("Control request %s %s raised", self.command, self.path, exc_info=True)
            self._respond(500, {"error": f"{type(error).__name__}: {error}"})
            return
        if result is None:
            self._respond(404, {"error": f"Unknown control path {self.command} {self.path}"})
            return
        self._respond(200, result)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        expected = f"Bearer {self.control.token}"
        return hmac.compare_digest(header.encode(), expected.encode())

    def _json_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            raise ValueError("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    def _respond(self, status: int, payload: Any) -> None:
        if status >= 400:
            # Unknown questions and wrong states are the host's typing mistakes; the rest deserve a warning.
            level = logging.INFO if status in (404, 409) else logging.WARNING
            logger.log(level, "Control request %s %s failed with HTTP %d: %s", self.command, self.path, status,
                       payload.get("error"))
        data = json.dumps(payload, default=str, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("Control %s", format % args)


class ControlClient:
    """Send host actions to the control endpoint of a running `quizkit serve`.

    Only loopback URLs are accepted, so a tampered control file cannot send the token elsewhere.
    """

    def __init__(self, url: str, token: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or parsed.hostname not in LOOPBACK_HOSTS:
            raise ControlError(
                f"Control URL {url!r} is not an http URL on {' or '.join(LOOPBACK_HOSTS)}; "
                "the control endpoint only listens on this machine.",
                "off_loopback", url=url,
            )
        self.url = url.rstrip("/")
        self._token = token
        # An empty ProxyHandler: HTTP_PROXY and similar variables must not route loopback calls elsewhere.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @classmethod
    def from_file(cls, database: str | os.PathLike[str]) -> ControlClient:
        """Read the control file beside `database` and return a client for its URL and token."""
        path = control_file_path(database)
        try:
            record = json.loads(path.read_text())
        except FileNotFoundError:
            raise ControlError(
                f"Control file {str(path)!r} not found; start the server with "
                f"`quizkit serve --db {os.fspath(database)} ...` first.",
                "no_control_file", path=str(path), db=os.fspath(database),
            ) from None
        except ValueError:
            raise ControlError(f"Control file {str(path)!r} is not valid JSON; restart `quizkit serve` to rewrite it.",
                               "bad_control_file", path=str(path)) from None
        if not isinstance(record, dict) or not isinstance(record.get("url"), str) or not isinstance(record.get("token"), str):
            raise ControlError(f"Control file {str(path)!r} lacks 'url' or 'token'; restart `quizkit serve` to rewrite it.",
                               "bad_control_file", path=str(path))
        return cls(record["url"], record["token"])

    def open(self, question: int | str) -> dict[str, Any]:
        return self._request("POST", "/open", {"question": question})

    def close(self, question: int | str, answers: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question}
        if answers:
            body["answers"] = answers
        return self._request("POST", "/close", body)

    def status(self) -> dict[str, Any]:
        return self._request("GET", "/status")

    def leaderboard(self) -> list[dict[str, Any]]:
        return self._request("GET", "/leaderboard")

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self._token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=CLIENT_TIMEOUT_S) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                message = _error_message(error)
            raise ControlError(message, _STATUS_REASONS.get(error.code, "failed"), detail=message) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ControlError(
                f"No quizkit server responds at {self.url} ({reason}); is `quizkit serve` running for this database?",
                "unreachable", url=self.url, detail=str(reason),
            ) from None


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read())["error"])
    except (ValueError, KeyError, TypeError):
        return f"Control request failed: HTTP {error.code} {error.reason}"


def _question_ref(body: dict[str, Any]) -> int | str:
    if "question" not in body:
        raise ValueError("the field 'question' is missing")
    question = body["question"]
    if isinstance(question, bool) or not isinstance(question, (int, str)):
        raise ValueError(f"'question' must be a number or a code, got {question!r}")
    return question


def _question_record(question: Question) -> dict[str, Any]:
    return {"number": question.number, "code": question.code, "state": question.state.value, "text": question.text}


def _result_record(result: QuestionResult) -> dict[str, Any]:
    return {
        **_question_record(result.question),
        "answers": result.answers,
        "people_reached": result.people_reached,
        "correct": result.correct,
        "percent_correct": round(result.percent_correct, 1),
        "podium": [asdict(entry) for entry in result.podium],
    }


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600, also when the file already exists with a wider mode.

    The text goes to a temporary file that then replaces `path`, so a client never reads a partly
    written file.
    """
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, text.encode())
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
