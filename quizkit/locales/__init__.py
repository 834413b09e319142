"""Participant-facing and channel texts in Italian and English, as Telegram HTML.

`texts_for(language_code, default)` picks the participant's language: a Telegram language_code
starting with "it" or "en" selects that language, anything else (or none) the event's language.
"""

from __future__ import annotations

from quizkit.locales._base import Texts
from quizkit.locales.en import EnglishTexts
from quizkit.locales.it import ItalianTexts

__all__ = ["LANGUAGES", "EnglishTexts", "ItalianTexts", "Texts", "texts_for"]

LANGUAGES: dict[str, Texts] = {"it": ItalianTexts(), "en": EnglishTexts()}


def texts_for(language_code: str | None, default: str) -> Texts:
    """Return the texts for a Telegram language_code such as "it-IT", falling back to `default`."""
    prefix = (language_code or "").strip().lower()[:2]
    return LANGUAGES.get(prefix) or LANGUAGES[default]
