"""Limits on what participants type, shared by the conversation rules and the texts that state them."""

# Team names are counted in user-perceived characters (extended grapheme clusters), so a family emoji
# of seven code points counts as one character.
TEAM_NAME_MIN_CHARS = 3
TEAM_NAME_MAX_CHARS = 64
# One perceived character can be any number of code points (a letter with 500 combining accents is one),
# so this cap bounds what a name stores and posts. A leaderboard of ten names of 128 code points stays
# far below Telegram's 4096-character message limit, and the posts quote a name of up to 129 uncut.
TEAM_NAME_MAX_CODE_POINTS = 128
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
