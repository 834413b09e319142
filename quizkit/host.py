"""The host's handle on a live event: start the bot, launch and close questions, read live tables.

    from quizkit import Engine, Host, Store

    engine = Engine.load(Store("quiz.db"), "codeweek")
    with Host(engine, token, public_url="https://quiz.example.org") as host:
        host.launch("IY4")
        host.responses()                 # newest answers first, refreshed on every call
        host.close("IY4", answers=["Roma"])
        host.podium("IY4")
        host.leaderboard()

Actions that change the event (`launch`, `close`) run on the server's event loop through
`Server.call`, so they never race the updates the server is handling. The tables are read through a
new read-only SQLite connection per call (`quizkit.analysis.load`), so in WAL mode they never wait
for the server's writes, they work after the server stops, and any thread may call them.
"""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd

from quizkit import analysis
from quizkit.bot.telegram import TELEGRAM_API_URL
from quizkit.doctor import CheckResult, run_doctor
from quizkit.engine import Engine, question_ref
from quizkit.live import LiveSnapshot, read_live
from quizkit.errors import QuestionNotFound, QuestionStateError
from quizkit.model import LeaderboardRow, Question, QuestionResult
from quizkit.server import Server, ServerNotRunning
from quizkit.server.server import ServerStatus
from quizkit.store import connect_reader

__all__ = ["Host"]

_RESPONSE_DTYPES = {
    "participant": "string",
    "user_id": "Int64",
    "team": "string",
    "head_count": "Int64",
    "raw_text": "string",
    "normalised": "string",
    "delay_s": "float64",
    "correct": "boolean",
    "rank": "Int64",
    "score": "Int64",
    "late": "bool",
    "received_at": "datetime64[ns, UTC]",
}


class Host:
    """Run one event from a notebook or a script: the server's lifecycle, question actions and live tables.

    `server_options` go to `Server` (host, port, public_url, secret_token, max_connections,
    drop_pending_updates, rate_limit). Call `start`, `stop`, `launch` and `close` from one thread,
    the notebook's. The reading methods may be called from any thread, while the server runs or
    after it stops. The tables need a database file, because they read it through a second connection.
    """

    def __init__(
        self,
        engine: Engine,
        token: str,
        *,
        api_url: str = TELEGRAM_API_URL,
        transport: str = "webhook",
        **server_options: Any,
    ) -> None:
        self.engine = engine
        self.server = Server(engine, token, api_url=api_url, transport=transport, **server_options)

    # Lifecycle

    def start(self, timeout_s: float = 30.0) -> Host:
        """Start the server and return once it receives updates. Does nothing while it runs."""
        self.server.start(timeout_s)
        return self

    def stop(self) -> None:
        """Stop the server and join its thread. Does nothing when it is not running."""
        self.server.stop()

    @property
    def running(self) -> bool:
        """True while the server handles updates."""
        return self.server.running

    def status(self) -> ServerStatus:
        """Return the server's counters and last error, as `Server.status` does."""
        return self.server.status()

    def __enter__(self) -> Host:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Actions on the event, through the server's loop

    def launch(self, question: int | str) -> Question:
        """Open a question (number or code) and queue its announcement; return the opened question.

        Launching an open question changes nothing. Raises ServerNotRunning when the server is
        stopped, and the engine's QuestionNotFound or QuestionStateError.
        """
        self._require_running(f"launch({question!r})")
        return self.server.call(self.engine.open_question, question)

    def close(self, question: int | str, answers: list[str] | None = None) -> QuestionResult:
        """Close a question, rank its correct answers and queue the results post; return its result.

        `answers` replaces the accepted answers. Closing a closed question again returns the same
        result. Raises ServerNotRunning when the server is stopped, and the engine's errors.
        """
        self._require_running(f"close({question!r})")
        return self.server.call(self.engine.close_question, question, answers)

    def post_leaderboard(self) -> None:
        """Queue a channel post with the top of the leaderboard. Each call posts again.

        Raises ServerNotRunning when the server is stopped.
        """
        self._require_running("post_leaderboard()")
        self.server.call(self.engine.post_leaderboard)

    def _require_running(self, call: str) -> None:
        # The engine could write to the database without the server, but then nothing would post to
        # the channel, and answers would arrive at a stopped bot, so a host must start it first.
        if self.server.running:
            return
        raise ServerNotRunning(
            f"Cannot run host.{call}: the quizkit server is not running. "
            f"Start it with host.start() (or `with host:`), then call host.{call} again."
        )

    # Live tables, read-only

    def responses(self, question: int | str | None = None) -> pd.DataFrame:
        """Return the stored answers of a question, newest first (by received_at, then update_id).

        Without `question`, the most recently opened question is read, and an empty table is
        returned while no question has been opened. Columns: participant (display name), user_id,
        team, head_count, raw_text, normalised, delay_s (seconds from opening, never below zero),
        correct, rank and score (missing until the question closes, rank only for correct in-time
        answers, score from 0 to 1000), late (received after the close or the deadline), received_at (UTC).
        """
        results = self._load()
        number = self._latest_opened(results) if question is None else self._number(results, question)
        if number is None:
            return _empty(_RESPONSE_DTYPES)

        answers = results.answers.loc[results.answers["number"] == number]
        answers = answers.sort_values(["received_at", "update_id"], ascending=False, kind="stable")
        people = results.participants.set_index("user_id")
        frame = pd.DataFrame(
            {
                "participant": _display_names(people, answers["user_id"]),
                "user_id": answers["user_id"].to_numpy(),
                "team": people["team_name"].reindex(answers["user_id"]).to_numpy(),
                "head_count": people["head_count"].reindex(answers["user_id"]).to_numpy(),
                "raw_text": answers["raw_text"].to_numpy(),
                "normalised": answers["normalised"].to_numpy(),
                "delay_s": answers["delay_s"].to_numpy(),
                "correct": answers["correct"].to_numpy(),
                "rank": answers["rank"].to_numpy(),
                "score": answers["score"].to_numpy(),
                "late": answers["late"].fillna(False).to_numpy(dtype=bool),
                "received_at": answers["received_at"].to_numpy(),
            }
        )
        frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
        return frame.astype(_RESPONSE_DTYPES)

    def podium(self, question: int | str) -> pd.DataFrame:
        """Return the first correct in-time answers of a closed question, by update_id.

        It has as many rows as the event's podium size (3 unless set with `podium_size`), or fewer
        correct answers. Columns: rank, participant, delay_s, score (the speed score, 500 to 1000).
        Raises QuestionStateError for a question that is not closed, because correctness, ranks and
        scores are set only on close.
        """
        results = self._load()
        number = self._number(results, question)
        row = results.questions.loc[results.questions["number"] == number].iloc[0]
        if row["state"] != "closed":
            raise QuestionStateError(
                f"Question {number} ({row['code']}) is {row['state']}, so it has no podium yet; "
                f"close it with host.close({row['code']!r}) first."
            )

        answers = results.answers
        ranked = answers.loc[(answers["number"] == number) & answers["rank"].notna()]
        ranked = ranked.sort_values("rank").head(results.podium_size)
        people = results.participants.set_index("user_id")
        frame = pd.DataFrame(
            {
                "rank": ranked["rank"].to_numpy(),
                "participant": _display_names(people, ranked["user_id"]),
                "delay_s": ranked["delay_s"].to_numpy(),
                "score": ranked["score"].to_numpy(),
            }
        )
        return frame.astype({"rank": "Int64", "participant": "string", "delay_s": "float64", "score": "Int64"})

    def leaderboard(self) -> pd.DataFrame:
        """Return the standings over closed questions, as `quizkit.analysis.leaderboard` computes them.

        Columns: position, user_id, display_name, team_name, head_count, correct, delay_s, score. The
        order and the figures match `Engine.leaderboard()`: by total score first when the event's
        `scoring` setting is on.
        """
        return analysis.leaderboard(self._load())

    def questions(self) -> pd.DataFrame:
        """Return the event's questions in number order, with the answers stored so far.

        Columns: number, code, text, state, opened_at, closed_at (UTC, missing until it happens) and
        answers (in time and late, as `Engine.answer_count` counts them).
        """
        results = self._load()
        counts = results.answers.groupby("number").size()
        frame = results.questions[["number", "code", "text", "state", "opened_at", "closed_at"]].copy()
        frame["answers"] = counts.reindex(frame["number"], fill_value=0).to_numpy()
        return frame.astype({"answers": "Int64"}).reset_index(drop=True)

    def live(self, question: int | None = None, limit: int = 20) -> LiveSnapshot:
        """Return what a live display shows: questions with counts, and question `question`'s newest answers.

        Without `question`, the most recently opened one. Much cheaper than `responses()`: a few
        indexed queries, whatever the size of the event, so a display may call it every second.
        """
        connection = connect_reader(self.engine.store.path)
        try:
            return read_live(connection, self.engine.event.id, question, limit)
        finally:
            connection.close()

    def rates(self) -> list[tuple[int, int]]:
        """Return (second, updates) pairs of the last hour, from the server's memory, oldest first."""
        per_second: dict[int, int] = {}
        for sample in self.server.traffic.samples():
            per_second[sample.second] = per_second.get(sample.second, 0) + sample.count
        return sorted(per_second.items())

    def standings(self, limit: int | None = None) -> list[LeaderboardRow]:
        """Return the engine's leaderboard rows (the first `limit`), as the channel post shows them.

        Through the server's loop while it runs, so it never races an update; directly when stopped.
        """
        if self.server.running:
            return self.server.call(self.engine.leaderboard, limit)
        return self.engine.leaderboard(limit)

    def checks(self, language: str = "en") -> list[CheckResult]:
        """Run `quizkit doctor`'s checks on this host's settings and return their results, in `language`.

        The token, getWebhookInfo, the channel rights, the public URL, the database and the transport
        are checked, as `quizkit doctor` does. The checks run in a thread of their own, because a
        notebook cell already runs inside an event loop; this call blocks until they finish.
        """
        settings = self.server.doctor_settings(language)
        results: list[CheckResult] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                results.extend(run_doctor(settings))
            except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
                failure.append(error)

        worker = threading.Thread(target=run, name="quizkit-checks")
        worker.start()
        worker.join()
        if failure:
            raise failure[0]
        return results

    def traffic(self) -> pd.DataFrame:
        """Return the updates received per second and kind, oldest first: columns second (UTC), kind, count.

        The server stores each finished second in the database about once a second, and keeps the
        last hour in memory with the running second. This merges both: for a second and kind found in
        both, the larger count is taken (normally they are equal), so nothing is counted twice. After
        a stop, the stored table contains every second.
        """
        stored = self._load().traffic
        live = pd.DataFrame(
            [(sample.second, sample.kind, sample.count) for sample in self.server.traffic.samples()],
            columns=["second", "kind", "count"],
        )
        live["second"] = pd.to_datetime(live["second"].astype("int64"), unit="s", utc=True)

        both = pd.concat([stored.astype({"kind": "string"}), live.astype({"kind": "string"})], ignore_index=True)
        merged = both.groupby(["second", "kind"], as_index=False)["count"].max()
        merged = merged.sort_values(["second", "kind"], kind="stable").reset_index(drop=True)
        return merged.astype({"second": "datetime64[ns, UTC]", "kind": "category", "count": "int64"})

    # Helpers

    def _load(self) -> analysis.Results:
        # NOTE: every call reads the whole event (participants, questions, answers, traffic), so its
        # cost grows with the event. It is not measured beyond the 200 answers of the tests.
        return analysis.load(self.engine.store.path, event=self.engine.event.name)

    @staticmethod
    def _latest_opened(results: analysis.Results) -> int | None:
        opened = results.questions.dropna(subset=["opened_at"])
        if opened.empty:
            return None
        return int(opened.sort_values(["opened_at", "number"]).iloc[-1]["number"])

    def _number(self, results: analysis.Results, question: int | str) -> int:
        """Find a question number by number or code (case-insensitive), as `Engine.question` does."""
        question = question_ref(question)
        questions = results.questions
        if isinstance(question, str):
            key = question.strip().upper()
            by_code = questions.loc[questions["code"].str.upper() == key, "number"]
            if not by_code.empty:
                return int(by_code.iloc[0])
            if not key.isdecimal():
                raise QuestionNotFound(self._not_found(f"code {question!r}", results))
            question = int(key)

        if (questions["number"] == question).any():
            return question
        raise QuestionNotFound(self._not_found(f"number {question}", results))

    @staticmethod
    def _not_found(reference: str, results: analysis.Results) -> str:
        listed = ", ".join(f"{number} ({code})" for number, code in zip(results.questions["number"], results.questions["code"]))
        known = f"questions: {listed}" if listed else "the event has no questions yet"
        return f"Question {reference} not found in event {results.event!r}; {known}."


def _display_names(people: pd.DataFrame, user_ids: pd.Series) -> list[str]:
    return [analysis._display_name(people.loc[user_id], user_id) for user_id in user_ids]


def _empty(dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype=dtype) for column, dtype in dtypes.items()})
