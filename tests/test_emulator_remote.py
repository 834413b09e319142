"""`RemoteEmulator`: the crowd plays against an emulator through its HTTP control endpoints."""

from __future__ import annotations

import pytest

from quizkit.emulator.remote import RemoteEmulator, RemoteEmulatorError, loopback_root_url, play_crowd
from quizkit.emulator.updates import SimUser
from tests.conftest import TOKEN


def test_play_crowd_queues_every_update(emulator):
    summary = play_crowd(emulator.base_url, TOKEN, ["AB1", "CD2"], profile="classroom", time_scale=0.01)

    stats = emulator.stats(TOKEN)
    assert summary["counters"]["updates_sent"] == stats["updates_queued"]
    assert sum(summary["updates_per_chat"].values()) == stats["updates_queued"]
    # The classroom's question 2 has 24 answers, and play_crowd leaves out its one late answer.
    assert summary["counters"]["answers_sent"] == 25 + 23
    assert [timing["phase"] for timing in summary["timings"]] == ["registration", "question 1", "question 2"]


def test_remote_send_text_returns_update_id(emulator):
    remote = RemoteEmulator(emulator.url)
    user = SimUser(user_id=800000001, first_name="Rita")
    try:
        first = remote.send_text(TOKEN, user, "/start")
        second = remote.send_text(TOKEN, user, "Roma")
    finally:
        remote.close()

    assert second == first + 1
    assert remote.updates_per_chat[user.user_id] == 2


def test_remote_unknown_token_raises(emulator):
    remote = RemoteEmulator(emulator.url)

    with pytest.raises(RemoteEmulatorError, match="The emulator rejected POST"):
        remote.send_text("42:unknown", SimUser(user_id=1, first_name="A"), "hi")
    remote.close()


@pytest.mark.parametrize("api_url, root", [
    ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
    ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081"),
    ("http://localhost:8081/", "http://localhost:8081"),
])
def test_loopback_root_url_strips_bot(api_url, root):
    assert loopback_root_url(api_url) == root


@pytest.mark.parametrize("api_url", ["https://api.telegram.org/bot", "http://10.0.0.1:8081", "ftp://127.0.0.1"])
def test_loopback_root_url_rejects_other_hosts(api_url):
    with pytest.raises(RemoteEmulatorError, match="is not an http URL on 127.0.0.1 or localhost"):
        loopback_root_url(api_url)


def test_remote_fault_and_block(emulator):
    remote = RemoteEmulator(emulator.url)
    user = SimUser(user_id=800000002, first_name="Rita")
    try:
        remote.inject_fault(TOKEN, "flood", method="sendMessage", retry_after=4)
        listed = emulator.faults(TOKEN)
        cleared = remote.clear_faults(TOKEN)
        update_id = remote.block_bot(TOKEN, user)
    finally:
        remote.close()

    assert [(fault["kind"], fault["method"], fault["retry_after"]) for fault in listed] == [("flood", "sendMessage", 4)]
    assert cleared == 1
    assert isinstance(update_id, int)
    assert emulator.stats(TOKEN)["updates_queued"] == 1


async def test_remote_redeliver_queues_old_update_ids(emulator):
    from telegram import Bot

    remote = RemoteEmulator(emulator.url)
    user = SimUser(user_id=800000002, first_name="Rosa")
    try:
        first = remote.send_text(TOKEN, user, "/start")
        second = remote.send_text(TOKEN, user, "Roma")
        async with Bot(TOKEN, base_url=emulator.base_url) as bot:
            await bot.get_updates(offset=second + 1, timeout=0)
            queued = remote.redeliver(TOKEN, [second, first])
            redelivered = await bot.get_updates(timeout=0)
        with pytest.raises(RemoteEmulatorError, match=r"Updates \[1\] were never delivered"):
            remote.redeliver(TOKEN, [1])
    finally:
        remote.close()

    assert queued == 2
    assert [update.update_id for update in redelivered] == [first, second]
    assert redelivered[1].message.text == "Roma"
