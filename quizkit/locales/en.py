"""English texts."""

from __future__ import annotations

from collections.abc import Sequence

from quizkit.limits import HEAD_COUNT_MAX, HEAD_COUNT_MIN, TEAM_NAME_MAX_CHARS, TEAM_NAME_MIN_CHARS
from quizkit.locales._base import (
    MAX_QUOTED_ANSWER_CHARS,
    MAX_QUOTED_NAME_CHARS,
    Texts,
    deep_link,
    escape,
    plain_notice,
    plural,
    private_chat_link,
    quote,
)
from quizkit.model import LeaderboardRow, Question, QuestionResult


class EnglishTexts(Texts):
    language = "en"
    decimal_separator = "."
    yes_words = frozenset({"yes", "y", "ok", "sure"})
    question_word = "Question"
    thousands_separator = ","
    points_word = "pts"

    # Channel posts

    def announcement(self, question: Question, bot_username: str) -> str:
        link = deep_link(bot_username, question.code)
        limit = "" if question.time_limit_s is None else f"{self.time_limit_line(question.time_limit_s)}\n"
        return (
            f"{self.heading(question)}{self.options_block(question)}\n\n{limit}"
            f"To answer, open {link} or send the code <b>{escape(question.code)}</b> to @{bot_username}."
        )

    def time_limit_line(self, seconds: float) -> str:
        return f"⏱ Time limit: {self.duration(seconds)}"

    def count_line(self, count: int) -> str:
        return f"📨 {plural(count, 'answer', 'answers')} so far"

    def announcement_closed(self, question: Question, answers: int) -> str:
        return (
            f"{self.heading(question)}{self.options_block(question)}\n\n"
            f"✅ Answer: <b>{escape(question.answers[0])}</b>\n"
            f"Closed with {plural(answers, 'answer', 'answers')}."
        )

    def results(self, result: QuestionResult, scoring: bool = False) -> str:
        question = result.question
        lines = [
            f"<b>Question {question.number}: results</b>",
            f"✅ {escape(question.answers[0])}",
            f"Answers: {result.answers} · People reached: {result.people_reached} · "
            f"Correct: {self.percent(result.percent_correct)}",
            "",
        ]
        if result.answers == 0:
            lines.append("Nobody answered.")
        elif not result.podium:
            lines.append("Nobody answered correctly.")
        else:
            lines.extend(self.podium_lines(result.podium, scoring))
        return "\n".join(lines)

    def leaderboard_post(self, rows: Sequence[LeaderboardRow], scoring: bool = False) -> str:
        if not rows:
            return "🏆 <b>Final leaderboard</b>\n\nNo results yet."
        return "\n".join(["🏆 <b>Final leaderboard</b>", "", *self.leaderboard_lines(rows, scoring)])

    def correct_count(self, count: int) -> str:
        return f"{count} correct"

    # Replies to participants

    def help(self) -> str:
        return (
            "<b>How to play</b>\n"
            "When a question appears on the channel, tap its link or send me its code "
            "(for example <b>KX4</b>), then send your answer in a message. "
            "Only your first answer counts, and the fastest correct answers win.\n\n"
            "/register – playing as a team? Register its name and how many you are\n"
            "/stats – the top 10 so far\n"
            "/reset – start over (your answers are kept)\n"
            "/help – this message"
        )

    def unknown_command(self, command: str) -> str:
        return f"I don't know the command {quote(command)}.\n\n{self.help()}"

    def question_selected(self, question: Question, seconds_left: float | None = None) -> str:
        if question.kind == "choice":
            request = "Tap your answer below, or send its number."
        else:
            request = "Send me your answer in a message."
        if seconds_left is not None:
            request += f"\n⏱ {self.duration(seconds_left)} left."
        return f"{self.heading(question)}\n\n{request}"

    def closed_question_selected(self, question: Question) -> str:
        return (
            f"{self.heading(question)}\n\n"
            "This question is closed: you can still answer to find out whether you were right, "
            "but your answer won't count for the leaderboard."
        )

    def question_not_open(self, code: str) -> str:
        return f"Question <b>{escape(code)}</b> is not open yet: wait until it appears on the channel."

    def unknown_code(self, text: str) -> str:
        return (
            f"There is no question with the code <b>{quote(text)}</b>. "
            "Send the code shown on the channel (for example <b>KX4</b>) or tap the question's link. "
            "/help explains how to play."
        )

    def answer_received(self, question: Question, raw_answer: str) -> str:
        answer = quote(raw_answer, MAX_QUOTED_ANSWER_CHARS)
        return (
            f"Got it! Your answer to question {question.number}: <b>{answer}</b>\n"
            "The results will appear on the channel when the question closes."
        )

    def already_answered(self, question: Question, first_answer: str) -> str:
        answer = quote(first_answer, MAX_QUOTED_ANSWER_CHARS)
        return (
            f"You have already answered question {question.number}: <b>{answer}</b>\n"
            "Only the first answer counts."
        )

    def send_text(self, question: Question) -> str:
        return f"Please send your answer to question {question.number} as a text message."

    def late_answer(self, question: Question, correct: bool, result: QuestionResult) -> str:
        answer = escape(question.answers[0])
        verdict = f"✅ Right! The answer is <b>{answer}</b>." if correct else f"❌ Wrong: the answer is <b>{answer}</b>."
        if result.answers == 0:
            share = "Nobody answered in time."
        else:
            share = f"{self.percent(result.percent_correct)} of the answers in time were correct."
        return f"{verdict}\nThe question was already closed, so your answer doesn't count for the leaderboard. {share}"

    def stats(self, rows: Sequence[LeaderboardRow], scoring: bool = False) -> str:
        if not rows:
            return "No results yet: the leaderboard fills up when the first question closes."
        return "\n".join(["<b>Leaderboard: top 10</b>", "", *self.leaderboard_lines(rows, scoring)])

    def leaderboard_off(self) -> str:
        return "This quiz has no leaderboard: the results of each question appear on the channel."

    # Choice questions

    def choose_option(self, question: Question) -> str:
        return (
            f"Tap one of the buttons of question {question.number}, or send the number of your answer "
            f"(1 to {len(question.options)})."
        )

    def tap_received(self, option: str) -> str:
        return plain_notice(f"Got it! Your answer: {option}")

    def tap_already_answered(self, question: Question, first_answer: str) -> str:
        return plain_notice(
            f"You have already answered question {question.number}: {first_answer}. Only the first answer counts."
        )

    def tap_late(self, question: Question, correct: bool) -> str:
        answer = question.answers[0]
        verdict = f"✅ Right! The answer is {answer}." if correct else f"❌ Wrong: the answer is {answer}."
        return plain_notice(f"{verdict} The question was already closed, so your answer doesn't count.")

    def tap_not_open(self) -> str:
        return "This question is not open yet: wait until it appears on the channel."

    def tap_outdated(self) -> str:
        return "This button belongs to a question that is no longer in the quiz. Send the code shown on the channel."

    def tap_invalid(self) -> str:
        return "This button is not valid. Send the question's code again to get new buttons."

    def reset_done(self) -> str:
        return (
            "Done: I've cleared the selected question and any registration in progress. "
            "Your answers are kept."
        )

    def edited_ignored(self) -> str:
        return "I don't read edited messages. To answer, send a new message."

    def forwarded_ignored(self) -> str:
        return "I don't read forwarded messages. To answer, type your answer in a new message."

    def private_chat_only(self, bot_username: str, payload: str | None) -> str:
        return (
            "The quiz is played only in a private chat with me. "
            f"Open {private_chat_link(bot_username, payload)} and we'll continue there."
        )

    # Registration

    def registration_confirm(self) -> str:
        return (
            "Do you want to register a team? I'll ask for its name and how many people play with you.\n"
            "Reply <b>yes</b> to continue; any other reply cancels."
        )

    def registration_ask_team_name(self) -> str:
        return f"What is your team's name? (at least {TEAM_NAME_MIN_CHARS} characters)"

    def registration_team_name_too_short(self) -> str:
        return f"The team name must be at least {TEAM_NAME_MIN_CHARS} characters long. Send a longer name:"

    def registration_team_name_too_long(self) -> str:
        return f"The team name can be at most {TEAM_NAME_MAX_CHARS} characters long. Send a shorter name:"

    def registration_team_name_too_many_code_points(self) -> str:
        return ("The team name is too long to store: some emoji and accented letters are made of several "
                "symbols and count more. Send a shorter name:")

    def registration_ask_head_count(self, team_name: str) -> str:
        return (
            f"How many people are in team <b>{quote(team_name, MAX_QUOTED_NAME_CHARS)}</b>, you included? "
            f"Send a number from {HEAD_COUNT_MIN} to {HEAD_COUNT_MAX}."
        )

    def registration_head_count_not_integer(self, text: str) -> str:
        return (
            f"<b>{quote(text)}</b> is not a whole number. Send how many people are in the team, in digits, "
            f"from {HEAD_COUNT_MIN} to {HEAD_COUNT_MAX}."
        )

    def registration_head_count_out_of_range(self, text: str) -> str:
        return (
            f"A team has from {HEAD_COUNT_MIN} to {HEAD_COUNT_MAX} people, and you sent {quote(text)}. "
            f"Send a number from {HEAD_COUNT_MIN} to {HEAD_COUNT_MAX}."
        )

    def registration_done(self, team_name: str, head_count: int) -> str:
        return (
            f"Done! Team <b>{quote(team_name, MAX_QUOTED_NAME_CHARS)}</b> is registered with "
            f"{plural(head_count, 'person', 'people')}. "
            "Your answers will appear under this name; send /register again to change it."
        )

    def registration_cancelled(self) -> str:
        return "Registration cancelled. Send /register to start again."
