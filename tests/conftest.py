"""Shared fixtures; every test runs with a guard that rejects connections to anything but loopback."""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


class ExternalNetworkBlocked(RuntimeError):
    """A test tried to reach an address outside 127.0.0.0/8 and ::1."""


def _check_loopback(sock: socket.socket, address) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0]
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ExternalNetworkBlocked(f"Test tried to connect to {host!r}; tests may only reach servers they start on 127.0.0.1.")


def _guarded_connect(self, address):
    _check_loopback(self, address)
    return _original_connect(self, address)


def _guarded_connect_ex(self, address):
    _check_loopback(self, address)
    return _original_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def loopback_only():
    """Fail any test that opens a connection to a non-loopback address."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _original_connect
    socket.socket.connect_ex = _original_connect_ex


TOKEN = "123456789:TESTtokenTESTtokenTESTtokenTESTtoken"
BOT_USERNAME = "quizkit_test_bot"
CHANNEL_ID = -1001000000042
# The error of every entry point that needs an existing database when no file is at {path}.
MISSING_DATABASE = ("Database {path!r} not found, and no file was created. Check the path, or create the event's "
                    "database with `quizkit serve --event EVENT.toml` (or `quizkit rehearse --db {path}` for a "
                    "rehearsal).")


@pytest.fixture
def emulator():
    """A Bot API emulator on 127.0.0.1 with the test bot and its channel."""
    from quizkit.emulator import Emulator

    with Emulator() as emu:
        emu.add_bot(TOKEN, BOT_USERNAME)
        emu.add_channel(TOKEN, CHANNEL_ID, "Quizkit tests")
        yield emu


@pytest.fixture
def db_path(tmp_path):
    """Path of a fresh SQLite file."""
    return tmp_path / "quiz.db"


@pytest.fixture
def engine(db_path):
    """An event in English with two questions: 1 (answer Rome or Roma) and 2 (answer 42)."""
    from quizkit.engine import Engine
    from quizkit.store import Store

    store = Store(db_path)
    quiz = Engine.create_event(store, name="test-event", language="en", channel_id=CHANNEL_ID, bot_username=BOT_USERNAME)
    quiz.add_question(text="Capital of Italy?", answers=["Rome", "Roma"], code="RM1")
    quiz.add_question(text="Six times seven?", answers=["42"], code="KX2")
    yield quiz
    store.close()


# python-telegram-bot 22 warns in RetryAfter's constructor unless this opts in to timedelta values,
# and the suite turns warnings into errors.
os.environ.setdefault("PTB_TIMEDELTA", "1")


# Module scope for the browser, because Playwright's sync API marks an asyncio loop as running on
# the main thread until it stops, and asyncio.run() in a later test module would then fail.
@pytest.fixture(scope="module")
def chromium_browser():
    """Debian's headless chromium under Playwright; skips the test when `chromium` is not installed."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import find_chromium, launch_chromium

    executable = find_chromium()
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); the browser tests need it")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, executable)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory, request):
    """A JupyterLab server on 127.0.0.1 for the test module; tests copy notebooks into its root_dir."""
    from tests.browser_support import ARTIFACTS_ROOT
    from tests.jupyterlab_server import JupyterLab

    log_path = ARTIFACTS_ROOT / f"jupyterlab-{request.module.__name__.rpartition('.')[2]}.log"
    with JupyterLab(tmp_path_factory.mktemp("jupyterlab"), log_path=log_path) as lab:
        yield lab


@pytest.fixture
def lab_page(chromium_browser, jupyter_lab, request):
    """A LabPage in a fresh browser context, saving its screenshots to test-artifacts/<test name>/."""
    from tests.browser_support import VIEWPORT, LabPage, artifacts_dir

    screenshots = artifacts_dir(request.node.name)
    context = chromium_browser.new_context(viewport=VIEWPORT)
    page = LabPage(context.new_page(), jupyter_lab, screenshots)
    yield page
    context.close()
    jupyter_lab.stop_kernels()
    assert page.off_loopback_requests == [], "the page sent requests outside 127.0.0.1"
