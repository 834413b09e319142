"""The simulated crowd: profiles, the plan it derives from a seed, and playing it against the emulator."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any

import pytest

from quizkit.answers import is_correct, normalise
from quizkit.emulator.crowd import PROFILES, Crowd, ProfileQuestion
from quizkit.emulator.plan import Action, CodeForm, Step
from quizkit.emulator.profiles import MAX_HEAD_COUNT, scale_profile

TOKEN = "123456789:CROWDtokenCROWDtokenCROWDtokenCROWD"


class RecordingSink:
    """Stands in for the emulator's sending API and records each payload with its send time."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.times: list[float] = []

    def send_text(self, token: str, user, text: str) -> int:
        from quizkit.emulator.updates import text_message

        return self.send_update(token, text_message(user, text))

    def send_update(self, token: str, payload: dict[str, Any]) -> int:
        self.updates.append(payload)
        self.times.append(time.perf_counter())
        return len(self.updates)

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        return []


@pytest.fixture(scope="module")
def codeweek() -> Crowd:
    return Crowd(RecordingSink(), TOKEN, profile="codeweek2016", seed=2016)


def _question_steps(crowd: Crowd, index: int) -> list[Step]:
    plan = crowd.plan.questions[index]
    return [*plan.steps, *plan.late_steps]


def _steps_by_user(steps) -> dict[int, list[Step]]:
    by_user: dict[int, list[Step]] = defaultdict(list)
    for step in steps:
        by_user[step.user].append(step)
    return by_user


# Profiles and determinism


def test_crowd_same_seed_same_plan():
    first = Crowd(RecordingSink(), TOKEN, profile="codeweek2016", seed=7)
    second = Crowd(RecordingSink(), TOKEN, profile="codeweek2016", seed=7)

    assert first.users == second.users
    assert first.teams == second.teams
    assert first.plan == second.plan
    assert first.expected == second.expected


def test_crowd_other_seed_other_plan():
    first = Crowd(RecordingSink(), TOKEN, profile="classroom", seed=1)
    second = Crowd(RecordingSink(), TOKEN, profile="classroom", seed=2)

    assert [user.user_id for user in first.users] != [user.user_id for user in second.users]
    assert first.plan.questions[0].steps != second.plan.questions[0].steps


def test_codeweek_participants_and_head_counts(codeweek):
    head_counts = codeweek.plan.head_counts
    team_counts = [team.head_count for team in codeweek.teams]

    assert len(codeweek.users) == 974
    assert codeweek.totals["active_participants"] == 974
    assert sum(head_counts) == 9_689
    assert codeweek.totals["head_count_sum"] == 9_689
    assert 850 <= len(codeweek.teams) <= 950
    assert min(team_counts) >= 1
    assert max(team_counts) <= MAX_HEAD_COUNT
    assert head_counts.count(1) >= 974 - len(codeweek.teams)


def test_codeweek_head_count_shape(codeweek):
    team_counts = [team.head_count for team in codeweek.teams]

    assert sum(15 <= count <= 30 for count in team_counts) >= 150
    assert sum(2 <= count <= 12 for count in team_counts) >= 300
    assert 1 <= sum(count > 30 for count in team_counts) <= 20


def test_codeweek_questions_and_answers(codeweek):
    answers = [expected["answers"] for expected in codeweek.expected]
    late = [expected["late"] for expected in codeweek.expected]

    assert len(codeweek.questions) == 14
    assert all(isinstance(question, ProfileQuestion) for question in codeweek.questions)
    assert sum(answers) == 7_004
    assert codeweek.totals["answers"] == 7_004
    assert all(350 <= count <= 650 for count in answers), answers
    assert 0.01 <= sum(late) / sum(answers) <= 0.02
    assert all(count >= 1 for count in late)


def test_codeweek_correct_share_varies(codeweek):
    shares = [expected["correct"] / expected["answers"] for expected in codeweek.expected]

    assert max(shares) >= 0.8
    assert min(shares) <= 0.35


def test_codeweek_each_answer_is_a_first_answer(codeweek):
    for index, expected in enumerate(codeweek.expected):
        steps = _question_steps(codeweek, index)
        answers = [step for step in steps if step.action is Action.ANSWER]
        answering_users = [step.user for step in answers]

        assert len(answers) == expected["answers"]
        assert len(set(answering_users)) == len(answering_users)
        assert sum("late_sent" in step.counters for step in answers) == expected["late"]


def test_codeweek_planned_correct_answers_match(codeweek):
    for index, expected in enumerate(codeweek.expected):
        question = codeweek.questions[index]
        answers = [step for step in _question_steps(codeweek, index) if step.action is Action.ANSWER]
        correct = sum(is_correct(step.text, question.answers) for step in answers)

        assert correct == expected["correct"]


def test_profile_questions_wrong_answers_are_wrong():
    for profile in PROFILES.values():
        for question in profile.questions:
            assert question.text
            assert question.answers
            assert len(question.wrong_answers) >= 3
            for wrong in question.wrong_answers:
                assert not is_correct(wrong, question.answers), (question.text, wrong)


def test_classroom_profile_totals():
    crowd = Crowd(RecordingSink(), TOKEN, profile="classroom", seed=3)
    answers = [expected["answers"] for expected in crowd.expected]

    assert len(crowd.users) == 25
    assert len(crowd.questions) == 5
    assert len(crowd.teams) <= 2
    assert all(count >= 20 for count in answers), answers
    assert crowd.totals["head_count_sum"] == sum(crowd.plan.head_counts)


def test_scaled_profile_keeps_proportions():
    crowd = Crowd(RecordingSink(), TOKEN, profile="codeweek2016", participants=100, seed=5)
    profile = PROFILES["codeweek2016"]

    assert len(crowd.users) == 100
    assert len(crowd.questions) == 14
    for expected, full in zip(crowd.expected, profile.answers):
        assert abs(expected["answers"] - full * 100 / 974) <= 1
    assert abs(crowd.totals["head_count_sum"] - 9_689 * 100 / 974) <= 1
    assert crowd.plan == Crowd(RecordingSink(), TOKEN, profile="codeweek2016", participants=100, seed=5).plan


def test_scale_profile_rejects_zero_participants():
    with pytest.raises(ValueError, match="participants must be a positive integer"):
        scale_profile(PROFILES["classroom"], 0)


def test_crowd_rejects_unknown_profile():
    with pytest.raises(ValueError, match="Unknown crowd profile 'quiz'; choose one of: classroom, codeweek2016"):
        Crowd(RecordingSink(), TOKEN, profile="quiz")


# Users


def test_users_ids_unique_and_large(codeweek):
    ids = [user.user_id for user in codeweek.users]

    assert len(set(ids)) == len(ids)
    assert all(100_000_000 <= user_id <= 999_999_999 for user_id in ids)


def test_users_optional_fields_vary(codeweek):
    users = codeweek.users
    languages = Counter(user.language_code for user in users)
    usernames = [user.username for user in users if user.username]

    assert 0.2 < sum(user.username is None for user in users) / len(users) < 0.6
    assert 0.15 < sum(user.last_name is None for user in users) / len(users) < 0.5
    assert languages["it"] / len(users) > 0.7
    assert languages["en"] > 20
    assert languages["de"] + languages["fr"] + languages["es"] > 10
    assert languages[None] > 20
    assert len({name.casefold() for name in usernames}) == len(usernames)
    assert all(5 <= len(name) <= 32 and name[0].isalpha() for name in usernames)


def test_users_names_carry_special_characters(codeweek):
    names = [f"{user.first_name} {user.last_name or ''}" for user in codeweek.users]

    assert any("'" in name for name in names)
    assert any(ch in name for name in names for ch in "àèéìòùç")
    assert any("<" in name and "&" in name for name in names)
    assert any(not name.isascii() and any(ord(ch) > 0x1F000 for ch in name) for name in names)


def test_team_names_fit_limits(codeweek):
    names = [team.name for team in codeweek.teams]

    assert len(set(names)) == len(names)
    assert all(3 <= len(name.strip()) <= 64 for name in names)


# Conversations


def test_registration_conversations_end_with_head_counts(codeweek):
    by_user = _steps_by_user(codeweek.plan.registration)
    mistakes = 0
    for team in codeweek.teams:
        user = next(index for index, sim in enumerate(codeweek.users) if sim.user_id == team.user_id)
        steps = by_user[user]
        texts = [step.text for step in steps if "registration_mistakes" not in step.counters]

        assert len(texts) == 4
        assert texts[0] in ("/register", "/start register")
        assert normalise(texts[1]) in {"si", "ok", "certo", "yes", "y", "sure"}
        assert texts[2] == team.name
        assert texts[3] == str(team.head_count)
        mistakes += len(steps) - 4

    assert sum(step.text.startswith("/register") or step.text == "/start register"
               for step in codeweek.plan.registration) >= len(codeweek.teams)
    assert 20 <= mistakes <= 150


def test_registration_mistakes_are_invalid_values(codeweek):
    mistakes = [step.text for step in codeweek.plan.registration if "registration_mistakes" in step.counters]

    assert any(len(text) < 3 for text in mistakes)
    assert any(text in ("tanti", "0", "500") for text in mistakes)


def test_answer_chains_keep_selection_before_answer(codeweek):
    have_selected: set[int] = set()
    for index in range(len(codeweek.questions)):
        plan = codeweek.plan.questions[index]
        for steps in (plan.steps, plan.late_steps):
            for user, chain in _steps_by_user(steps).items():
                actions = [step.action for step in chain]
                select = actions.index(Action.SELECT)
                answer = actions.index(Action.ANSWER)

                assert actions.count(Action.SELECT) == 1
                assert select < answer
                assert set(actions[:select]) <= {Action.TEXT, Action.UNKNOWN_CODE}
                assert set(actions[select + 1:answer]) <= {Action.STICKER, Action.PHOTO}
                assert set(actions[answer + 1:]) <= {Action.TEXT, Action.EDIT}
                assert [step.at for step in chain] == sorted(step.at for step in chain)
                assert chain[-1].at < 1.0
                if chain[select].text in (CodeForm.BARE, CodeForm.BARE_LOWERCASE):
                    assert user not in have_selected
            have_selected.update(step.user for step in steps)


def test_noise_shares_are_small_but_present(codeweek):
    counters = Counter()
    for index in range(len(codeweek.questions)):
        for step in _question_steps(codeweek, index):
            counters.update(step.counters)

    assert counters["answers_sent"] == 7_004
    assert counters["selections_sent"] == 7_004
    for name, low, high in [("repeats", 200, 700), ("stickers", 50, 250), ("photos", 20, 150),
                            ("help", 20, 150), ("unknown_codes", 40, 200), ("edits", 30, 150)]:
        assert low <= counters[name] <= high, (name, counters[name])


def test_answer_texts_vary_in_form(codeweek):
    texts = [step.text for index in range(len(codeweek.questions))
             for step in _question_steps(codeweek, index) if step.action is Action.ANSWER]

    assert any(text.isupper() for text in texts)
    assert any(text.islower() for text in texts)
    assert any(text != text.strip() for text in texts)
    assert any(text.rstrip()[-1] in "!.?" for text in texts)
    assert "unita'" in {text.lower() for text in texts}
    assert "unita" in {normalise(text) for text in texts}


def test_selection_forms_vary(codeweek):
    forms = Counter(step.text for index in range(len(codeweek.questions))
                    for step in _question_steps(codeweek, index) if step.action is Action.SELECT)

    assert forms[CodeForm.DEEP_LINK] > 0.8 * 7_004
    assert forms[CodeForm.LOWERCASE] > 100
    assert forms[CodeForm.BARE] + forms[CodeForm.BARE_LOWERCASE] > 10


# Playing


def test_play_sends_codes_and_counts():
    sink = RecordingSink()
    crowd = Crowd(sink, TOKEN, profile="classroom", seed=11, time_scale=0.01)

    crowd.register()
    crowd.play_question(0, "KX1")
    crowd.play_late(0, "KX1")

    texts = [update["message"].get("text") for update in sink.updates if "message" in update]
    selections = {text for text in texts if text and text.lower().endswith(("kx1", "kx0"))}
    assert crowd.counters["updates_sent"] == len(sink.updates)
    assert crowd.counters["answers_sent"] == crowd.expected[0]["answers"]
    assert crowd.counters["late_sent"] == crowd.expected[0]["late"]
    assert crowd.counters["registrations"] == len(crowd.teams)
    assert "/start KX1" in selections
    assert selections <= {"/start KX1", "/start kx1", "KX1", "kx1", "/start KX0", "kx0"}


def test_play_keeps_each_chat_in_order():
    sink = RecordingSink()
    crowd = Crowd(sink, TOKEN, profile="codeweek2016", participants=200, seed=12, time_scale=0.05)

    crowd.play_question(1, "KX2")

    sent: dict[int, list[str]] = defaultdict(list)
    for update in sink.updates:
        kind, message = next(iter(update.items()))
        sent[message["chat"]["id"]].append(_describe(kind, message))
    for user, chain in _steps_by_user(crowd.plan.questions[1].steps).items():
        planned = [_describe_step(step, "KX2") for step in chain]
        assert sent[crowd.users[user].user_id] == planned


def _describe(kind: str, message: dict[str, Any]) -> str:
    if kind == "edited_message":
        return f"edit:{message['text']}"
    if "sticker" in message:
        return "sticker"
    if "photo" in message:
        return "photo"
    return message["text"]


def _describe_step(step: Step, code: str) -> str:
    forms = {CodeForm.DEEP_LINK: f"/start {code}", CodeForm.LOWERCASE: f"/start {code.lower()}",
             CodeForm.BARE: code, CodeForm.BARE_LOWERCASE: code.lower()}
    if step.action is Action.SELECT:
        return forms[step.text]
    if step.action is Action.UNKNOWN_CODE:
        return forms[step.text].replace(code[-1], "0").replace(code[-1].lower(), "0")
    if step.action is Action.EDIT:
        return f"edit:{step.text}"
    if step.action in (Action.STICKER, Action.PHOTO):
        return step.action.value
    return step.text


def test_play_question_twice_raises():
    crowd = Crowd(RecordingSink(), TOKEN, profile="classroom", seed=13, time_scale=0.01)
    crowd.play_question(0, "KX1")

    with pytest.raises(RuntimeError, match="already played question 1"):
        crowd.play_question(0, "KX1")


def test_play_question_index_out_of_range():
    crowd = Crowd(RecordingSink(), TOKEN, profile="classroom", seed=13, time_scale=0.01)

    with pytest.raises(IndexError, match="Question index 5 is out of range"):
        crowd.play_question(5, "KX6")


def test_time_scale_stretches_windows():
    fast = Crowd(RecordingSink(), TOKEN, profile="classroom", seed=14, time_scale=1.0)
    slow = Crowd(RecordingSink(), TOKEN, profile="classroom", seed=14, time_scale=2.0)

    fast.play_question(0, "KX1", duration_s=0.2)
    slow.play_question(0, "KX1", duration_s=0.2)

    assert fast.timings[0].duration_s == pytest.approx(0.2, abs=0.05)
    assert slow.timings[0].duration_s == pytest.approx(0.4, abs=0.05)


def test_answers_burst_at_question_start():
    # The plan's times, not the wall clock's: a loaded machine delays sending, never the plan.
    crowd = Crowd(RecordingSink(), TOKEN, profile="codeweek2016", seed=2016, time_scale=1.0)

    steps = crowd.plan.questions[0].steps

    in_first_third = sum(step.at < 0.33 for step in steps)
    assert in_first_third > 0.6 * len(steps)


# Against the real emulator


def test_crowd_updates_reach_emulator_queue():
    emulator_module = pytest.importorskip("quizkit.emulator")
    telegram = pytest.importorskip("telegram")
    if not hasattr(emulator_module, "Emulator"):
        pytest.skip("quizkit.emulator does not export Emulator yet")

    with emulator_module.Emulator() as emulator:
        emulator.add_bot(TOKEN, "crowd_test_bot")
        crowd = Crowd(emulator, TOKEN, profile="classroom", seed=21, time_scale=0.02)
        crowd.register()
        for index in range(len(crowd.questions)):
            crowd.play_question(index, f"KX{index + 1}")
            crowd.play_late(index, f"KX{index + 1}")

        stats = emulator.stats(TOKEN)
        updates = _fetch_all_updates(telegram, emulator)
        get_updates_calls = emulator.calls(TOKEN, "getUpdates")

    assert stats["updates_queued"] == crowd.counters["updates_sent"]
    assert len(updates) == crowd.counters["updates_sent"]
    assert len(get_updates_calls) >= crowd.counters["updates_sent"] / 100
    messages = [update.message for update in updates if update.message]
    edits = [update.edited_message for update in updates if update.edited_message]
    assert sum(message.text == "/start KX1" for message in messages) >= 10
    assert all(message.from_user.id == message.chat.id for message in messages)
    assert len(edits) == crowd.counters["edits"]
    assert sum(message.sticker is not None for message in messages) == crowd.counters["stickers"]
    starts = [message for message in messages if message.text and message.text.startswith("/start ")]
    assert all(message.entities and message.entities[0].type == "bot_command" for message in starts)


def _fetch_all_updates(telegram, emulator):
    import asyncio

    async def fetch():
        bot = telegram.Bot(TOKEN, base_url=emulator.base_url)
        collected = []
        offset = None
        async with bot:
            while True:
                batch = await bot.get_updates(offset=offset, limit=100, timeout=0)
                if not batch:
                    return collected
                collected.extend(batch)
                offset = batch[-1].update_id + 1

    return asyncio.run(fetch())
