"""Limits on what participants type, shared by the conversation rules and the texts that state them."""

TEAM_NAME_MIN_CHARS = 3
# Keeps a leaderboard of ten teams far below Telegram's 4096-character message limit.
TEAM_NAME_MAX_CHARS = 64
HEAD_COUNT_MIN = 1
HEAD_COUNT_MAX = 499
# /stats and the leaderboard post show this many rows.
LEADERBOARD_TOP = 10
# An accepted answer appears in the announcement edit, the results post and late replies. With a
# question of at most 3500 characters, this keeps each of them under Telegram's 4096.
ACCEPTED_ANSWER_MAX_CHARS = 200
# A choice question shows each option as one button; ten buttons still fit on a phone screen.
OPTIONS_MIN = 2
OPTIONS_MAX = 10
# Telegram documents no maximum for a button's label; this keeps buttons and the announcement's list short.
OPTION_MAX_CHARS = 64
# Time limits, in seconds, that a question may have.
TIME_LIMIT_MIN_S = 5
TIME_LIMIT_MAX_S = 24 * 60 * 60
