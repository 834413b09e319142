"""The `Emulator`: a local Telegram Bot API server in a background thread, and its Python API."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from quizkit.errors import EmulatorError
from quizkit.emulator._app import create_app
from quizkit.emulator._faults import ConnectionDropped, Fault
from quizkit.emulator._service import BotApiService, ServiceSettings
from quizkit.emulator._state import World
from quizkit.emulator._webhook import DeliverySettings
from quizkit.emulator.updates import ADMINISTRATOR_RIGHTS, SimUser, callback_query, my_chat_member, text_message

logger = logging.getLogger("quizkit.emulator")

_START_TIMEOUT_S = 10.0


def _hide_injected_disconnects(record: logging.LogRecord) -> bool:
    # uvicorn logs every exception that ends a response; a "disconnect" fault ends one on purpose.
    exc_info = record.exc_info
    return not (exc_info and isinstance(exc_info[1], ConnectionDropped))


logging.getLogger("uvicorn.error").addFilter(_hide_injected_disconnects)
_STOP_TIMEOUT_S = 15.0


class Emulator:
    """A local Telegram Bot API for the bots that quizkit runs in rehearsals, tests and benchmarks.

    The server is uvicorn in a daemon thread with its own event loop. `start()` returns once it
    listens, and `stop()` may be called any number of times. The state (bots, chats, messages,
    pending updates, call logs) survives a stop and a new start. Every method is thread-safe.

        with Emulator() as emu:
            emu.add_bot("123456:secret", "quizkit_bot")
            bot = telegram.Bot("123456:secret", base_url=emu.base_url)

    `latency_s` delays every Bot API call over HTTP, to measure a bot against a round trip
    like Telegram's. `webhook_latency_s` delays every webhook delivery the same way, for the
    network between Telegram and the bot's server. With `flood_limits`, sending faster than 1 message/s per private chat, 20/min
    per group or channel, or 30/s per bot gets a 429 with retry_after. Webhook deliveries time
    out after `webhook_timeout_s` and are retried after `retry_delay_s`, doubling up to
    `max_retry_delay_s`.

    With `open_private_chats`, a call to an unknown positive chat id opens a private chat with that
    user instead of failing with "chat not found". Benchmarks need it: their load generator posts
    updates straight to the bot's webhook, so the emulator never saw those users write.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_s: float = 0.0,
        flood_limits: bool = False,
        webhook_timeout_s: float = 60.0,
        retry_delay_s: float = 1.0,
        max_retry_delay_s: float = 60.0,
        open_private_chats: bool = False,
        webhook_latency_s: float = 0.0,
    ) -> None:
        self.host = host
        self.port = port
        self._settings = ServiceSettings(
            latency_s=latency_s,
            flood_limits=flood_limits,
            delivery=DeliverySettings(webhook_timeout_s, retry_delay_s, max_retry_delay_s, webhook_latency_s),
        )
        self._world = World()
        self._world.open_private_chats = open_private_chats
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None
        self._service: BotApiService | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._url: str | None = None

    # Lifecycle

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def url(self) -> str:
        """The server's root URL with the port it really listens on, such as "http://127.0.0.1:40123"."""
        if self._url is None:
            raise RuntimeError("The emulator is not running, so it has no URL yet; call start() first.")
        return self._url

    @property
    def base_url(self) -> str:
        """The `base_url` for python-telegram-bot's `Bot`: the URL followed by "/bot"."""
        return self.url + "/bot"

    def start(self) -> Emulator:
        """Start the server and return once it accepts connections. Does nothing if it already runs."""
        with self._lifecycle:
            if self._thread is not None:
                return self
            sock = _bind(self.host, self.port)
            service = BotApiService(self._world, self._settings)
            config = uvicorn.Config(
                create_app(service, self),
                log_config=None,  # the library configures no logging handlers
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=2,
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(target=self._serve, args=(server, sock), name="quizkit-emulator", daemon=True)
            thread.start()
            self._wait_until_started(server, thread, sock)

            host, port = sock.getsockname()[:2]
            self._url = f"http://{_url_host(host)}:{port}"
            self._thread, self._server, self._service = thread, server, service
            logger.info("Emulator listening on %s", self._url)
            return self

    def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        except Exception:
            logger.exception("The emulator's server stopped with an error")
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            sock.close()

    def _wait_until_started(self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(_STOP_TIMEOUT_S)
                sock.close()
                raise RuntimeError(
                    f"The emulator did not start on {self.host}:{self.port} within {_START_TIMEOUT_S:.0f} s; "
                    "see the 'quizkit.emulator' and 'uvicorn.error' logs."
                )
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop the server and join its thread. Waiting long polls return no updates. Idempotent."""
        with self._lifecycle:
            thread, server, service, loop = self._thread, self._server, self._service, self._loop
            if thread is None or server is None or service is None or loop is None:
                return
            try:
                asyncio.run_coroutine_threadsafe(service.close(), loop).result(_STOP_TIMEOUT_S)
            except Exception:
                logger.warning("Closing the emulator's long polls and webhooks failed", exc_info=True)
            server.should_exit = True
            thread.join(_STOP_TIMEOUT_S)
            if thread.is_alive():
                logger.warning("The emulator's thread did not stop within %.0f s", _STOP_TIMEOUT_S)
            self._thread = self._server = self._service = self._loop = None
            self._url = None
            logger.info("Emulator stopped")

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # Bots and chats

    def add_bot(self, token: str, username: str, first_name: str = "Quizkit") -> None:
        """Register a bot whose user id is the number before the colon of `token`."""
        self._world.add_bot(token, username, first_name)

    def add_channel(self, token: str, chat_id: int, title: str, bot_is_admin: bool = True,
                    admin_rights: dict[str, bool] | None = None) -> None:
        """Create or change the channel `chat_id` for the bot, which can post there only as an administrator.

        An administrator has every right unless `admin_rights` turns some off, such as
        {"can_post_messages": False}; getChatMember reports them, and without can_post_messages
        sending to the channel fails. Raises ValueError for a name that is no administrator right.
        """
        rights = dict(admin_rights or {})
        unknown = sorted(set(rights) - set(ADMINISTRATOR_RIGHTS))
        if unknown or not all(isinstance(value, bool) for value in rights.values()):
            raise ValueError(f"Invalid admin_rights {rights!r}; give true or false for rights among "
                             f"{', '.join(ADMINISTRATOR_RIGHTS)}.")
        with self._world.lock:
            bot = self._world.require_bot(token)
            self._world.add_channel(bot, chat_id, title, bot_is_admin, rights)

    # Incoming updates

    def send_text(self, token: str, user: SimUser, text: str, *, chat_id: int | None = None) -> int:
        """Queue a text message from `user` to the bot and return its update_id.

        The message goes to the user's private chat (chat id = user id) unless `chat_id` names
        another chat, such as a group where the bot is a member.
        """
        payload = text_message(user, text)
        if chat_id is not None and chat_id != user.user_id:
            payload["message"]["chat"] = self._group_chat(token, chat_id)
        return self.send_update(token, payload)

    def _group_chat(self, token: str, chat_id: int) -> dict[str, Any]:
        with self._world.lock:
            chat = self._world.require_bot(token).chats.get(chat_id)
            if chat is not None:
                return dict(chat.data)
        chat_type = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        return {"id": chat_id, "title": f"Group {chat_id}", "type": chat_type}

    def tap(self, token: str, user: SimUser, message_id: int, button: str) -> tuple[int, str]:
        """Queue `user`'s tap on a button of the bot's message `message_id` in their private chat.

        `button` is the button's callback_data or its label. The callback query carries the message
        as it is now, keyboard included, as Telegram sends it. Returns the update_id and the callback
        query id, for `callback_answer`. Raises LookupError when the message is missing or deleted,
        or has no callback button matching `button`, because a user can tap only what they see.
        """
        with self._world.lock:
            bot = self._world.require_bot(token)
            message = self._world.bot_message(bot, user.user_id, message_id)
        if message is None:
            raise LookupError(f"The bot has no message {message_id} in the private chat of user {user.user_id}.")
        data = _button_data(message, button)
        if data is None:
            raise LookupError(
                f"Message {message_id} in the private chat of user {user.user_id} has no callback button "
                f"with data or label {button!r}."
            )

        payload = callback_query(user, data, message=message)
        query_id = payload["callback_query"]["id"]
        return self.send_update(token, payload), query_id

    def callback_answer(self, token: str, query_id: str) -> dict[str, Any] | None:
        """Return the bot's answerCallbackQuery for `query_id` (text, show_alert, source), or None while unanswered."""
        with self._world.lock:
            answer = self._world.require_bot(token).callback_answers.get(query_id)
            return None if answer is None else dict(answer)

    def send_update(self, token: str, payload: dict[str, Any], *, unfiltered: bool = False) -> int:
        """Queue `payload` (an update without update_id) for the bot and return its update_id.

        With `unfiltered`, the update goes out even when its type is unknown to the emulator or
        excluded by the bot's allowed_updates, as a newer Bot API or a stale allowed_updates list
        would send it. Raises ValueError for a payload that is not a single update type with its
        object, and LookupError for an unknown token.
        """
        with self._world.lock:
            bot = self._world.require_bot(token)
            update_id = self._world.queue_update(bot, payload, unfiltered)
        service = self._service
        if service is not None:
            service.notify(token)
        return update_id

    def redeliver(self, token: str, update_ids: list[int]) -> int:
        """Queue already delivered updates again with their old update_ids; return how many.

        Telegram redelivers an update whose acknowledgement it did not get, possibly to a server
        that restarted meanwhile. Raises LookupError for an update_id never delivered.
        """
        with self._world.lock:
            bot = self._world.require_bot(token)
            count = self._world.redeliver(bot, list(update_ids))
        service = self._service
        if service is not None:
            service.notify(token)
        return count

    def wait_delivered(self, token: str, timeout: float) -> bool:
        """Block until every queued update was acknowledged (webhook) or confirmed (getUpdates offset).

        Returns False when some are still pending after `timeout` seconds. Must not be called
        on the emulator's own thread, which it would block.
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError(
                "wait_delivered() would block the emulator's own event loop; call it from another thread."
            )
        world = self._world
        with world.changed:
            bot = world.require_bot(token)
            return world.changed.wait_for(lambda: not bot.pending, timeout)

    # Failures

    def inject_fault(
        self,
        token: str,
        kind: str,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        count: int | None = 1,
        retry_after: int = 1,
        delay_s: float = 5.0,
        status: int = 500,
    ) -> None:
        """Make the bot's next `count` calls of `method` to `chat_id` fail with `kind` (None: every call, every chat).

        `kind` is one of flood (429 with `retry_after`), server_error (`status` 500, 502, 503 or 504),
        timeout (no response for `delay_s`, then 504), disconnect, blocked, chat_not_found,
        no_rights or not_modified; see `quizkit.emulator._faults` for Telegram's texts. With
        `count` None the fault lasts until `clear_faults`. Raises ValueError for an invalid fault.
        """
        fault = Fault(kind, method, chat_id, count, retry_after, delay_s, status)
        with self._world.lock:
            self._world.require_bot(token).faults.append(fault)

    def clear_faults(self, token: str) -> int:
        """Remove the bot's injected faults and return how many were left."""
        with self._world.lock:
            bot = self._world.require_bot(token)
            left = len(bot.faults)
            bot.faults.clear()
            return left

    def faults(self, token: str) -> list[dict[str, Any]]:
        """Return the bot's injected faults that are not used up yet, oldest first."""
        with self._world.lock:
            return [fault.describe() for fault in self._world.require_bot(token).faults]

    def block_bot(self, token: str, user: SimUser) -> int:
        """Let `user` block the bot: messages to them fail with 403, and a my_chat_member update is queued.

        Returns the update's id.
        """
        return self._set_blocked(token, user, True)

    def unblock_bot(self, token: str, user: SimUser) -> int:
        """Let `user` restart the bot after blocking it, with its my_chat_member update; returns the update's id."""
        return self._set_blocked(token, user, False)

    def _set_blocked(self, token: str, user: SimUser, blocked: bool) -> int:
        with self._world.lock:
            bot = self._world.require_bot(token)
            chat = self._world.private_chat(bot, user.to_user())
            chat.bot_blocked = blocked
            old_status, new_status = ("member", "kicked") if blocked else ("kicked", "member")
            payload = my_chat_member(user, user.to_private_chat(), bot.sender, old_status, new_status)
        return self.send_update(token, payload)

    # What the bot did

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Return the Message dicts that bots sent to `chat_id`, oldest first, as edited, without deleted ones."""
        return self._world.messages(chat_id)

    def message_versions(self, chat_id: int, message_id: int) -> list[dict[str, Any]]:
        """Return every version of a message a bot sent, the original first and the current one last."""
        return self._world.message_versions(chat_id, message_id)

    def calls(self, token: str, method: str | None = None) -> list[dict[str, Any]]:
        """Return every Bot API call the bot made, oldest first: method, params, time, source and ok.

        `method` filters by name, case-insensitively. `source` is "http", or "webhook_response"
        for a method that travelled in a webhook response body, whose entry also has the
        `update_id` of the update that the response acknowledged.
        """
        with self._world.lock:
            calls = list(self._world.require_bot(token).calls)
        if method is not None:
            calls = [call for call in calls if call["method"].lower() == method.lower()]
        return [dict(call, params=dict(call["params"])) for call in calls]

    def stats(self, token: str) -> dict[str, int]:
        """Return the bot's update and call counters.

        Keys: updates_queued, updates_delivered (acknowledged or confirmed), deliveries_failed,
        redeliveries, pending_update_count, updates_dropped, updates_filtered, api_calls and
        flood_rejections.
        """
        with self._world.lock:
            return self._world.stats(self._world.require_bot(token))


def _button_data(message: dict[str, Any], button: str) -> str | None:
    """Return the callback_data of the message's button whose data or label is `button`."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in rows:
        for item in row:
            data = item.get("callback_data")
            if data is not None and button in (data, item.get("text")):
                return data
    return None


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only for sockets that
    # name the protocol, and without it every request waits about 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise EmulatorError(
            f"The emulator cannot listen on {host}:{port}: {error}; pick another port, or 0 for any free one."
        ) from error
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
