"""Deep links to questions, and their QR codes as PNG, SVG and a printable PDF sheet.

    from quizkit import qr

    link = qr.deep_link("quizkit_bot", "KX4")      # "https://t.me/quizkit_bot?start=KX4"
    qr.qr_png(link, "KX4.png")
    qr.qr_svg(link, "KX4.svg")
    qr.sheet_pdf(engine.questions(), "quizkit_bot", "sheet.pdf", language="it")

`deep_link` needs only the standard library, so the channel texts in `quizkit.locales` use it too.
The images need the `qrcode` package and the PDF needs `fpdf2`: install them with
`pip install 'quizkit[qr]'`. They are imported when first used.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from quizkit.errors import InvalidEvent, InvalidQuestion

__all__ = [
    "SHEET_TEXTS", "EventCodes", "QuestionCode", "deep_link", "load_event_codes", "qr_png", "qr_png_bytes",
    "qr_svg", "sheet_pdf",
]

# Telegram usernames are 5 to 32 characters.
# NOTE: Telegram also requires a bot's username to end in "bot". This is not checked, so a typo such
# as "quizkit_bto" gives a link that opens no bot.
_BOT_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
# A deep-link payload (`/start PAYLOAD`) allows 1 to 64 of these characters.
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Pixels per QR module in PNG files. The link to code "KX4" of @quizkit_bot is a version 3 code (29
# modules plus a 4-module border), so its PNG is 370 pixels wide.
DEFAULT_BOX_SIZE = 10
# Width of the QR code on a sheet page, in millimetres of A4 (210 mm wide).
_SHEET_QR_MM = 150.0

# Sheet texts in plain text (the PDF's core fonts cover Latin-1, so Italian accents print).
SHEET_TEXTS = {
    "it": {
        "heading": "Domanda {number}",
        "instruction": "Inquadra il codice con la fotocamera del telefono o apri il link",
    },
    "en": {
        "heading": "Question {number}",
        "instruction": "Scan the code with your phone's camera or open the link",
    },
}


class SheetQuestion(Protocol):
    """The part of a question that a sheet page shows; `quizkit.model.Question` fits."""

    @property
    def number(self) -> int: ...

    @property
    def code(self) -> str: ...


@dataclass(frozen=True)
class QuestionCode:
    """A question's number and code, as `load_event_codes` reads them."""

    number: int
    code: str


@dataclass(frozen=True)
class EventCodes:
    """An event's language, bot username and question codes in number order, for its QR codes."""

    event: str
    language: str
    bot_username: str
    questions: tuple[QuestionCode, ...]


def load_event_codes(path: str | Path, event: str | None = None) -> EventCodes:
    """Read an event's language, bot username and question codes from a quizkit database, read-only.

    With `event` None, the only or the most recent event is read. Raises the errors of
    `quizkit.analysis.load`: StoreError, EventNotFound and SchemaVersionError.
    """
    from quizkit.analysis import load
    from quizkit.store import connect_reader

    results = load(path, event=event)
    connection = connect_reader(path)
    try:
        row = connection.execute("SELECT bot_username FROM events WHERE id = ?", (results.event_id,)).fetchone()
    finally:
        connection.close()

    questions = tuple(
        QuestionCode(int(number), str(code))
        for number, code in zip(results.questions["number"], results.questions["code"])
    )
    return EventCodes(results.event, results.language, row["bot_username"], questions)


def deep_link(bot_username: str, code: str) -> str:
    """Return the t.me link that opens the bot with `/start CODE`.

    A leading "@" of the username is dropped. Raises InvalidEvent for a username that is not 5 to 32
    characters from A-Z, a-z, 0-9 and underscore, and InvalidQuestion for a payload that is not 1 to 64
    characters from A-Z, a-z, 0-9, underscore and hyphen.
    """
    username = bot_username.removeprefix("@") if isinstance(bot_username, str) else bot_username
    if not isinstance(username, str) or not _BOT_USERNAME.fullmatch(username):
        raise InvalidEvent(
            f"Bot username {bot_username!r} is invalid: a username is 5 to 32 characters from A-Z, a-z, 0-9 "
            f"and underscore; give the bot's Telegram username, e.g. 'quizkit_bot'."
        )
    if not isinstance(code, str) or not _PAYLOAD.fullmatch(code):
        raise InvalidQuestion(
            f"Deep-link payload {code!r} is invalid: a payload is 1 to 64 characters from A-Z, a-z, 0-9, "
            f"underscore and hyphen; use the question's code, e.g. 'KX4'."
        )
    return f"https://t.me/{username}?start={code}"


def _qr_code(link: str, image_factory=None):
    try:
        import qrcode
        from qrcode.constants import ERROR_CORRECT_M
    except ImportError as error:
        raise ImportError("QR codes need the qrcode package; install it with: pip install 'quizkit[qr]'") from error

    code = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, box_size=DEFAULT_BOX_SIZE,
                         border=4, image_factory=image_factory)
    code.add_data(link)
    code.make(fit=True)
    return code


def qr_png(link: str, path: str | Path, box_size: int = DEFAULT_BOX_SIZE) -> Path:
    """Write the link's QR code as a black-on-white PNG with `box_size` pixels per module; return the path.

    The version (size) is the smallest that fits the link, with error correction level M (15%).
    """
    Path(path).write_bytes(qr_png_bytes(link, box_size))
    return Path(path)


def qr_png_bytes(link: str, box_size: int = DEFAULT_BOX_SIZE) -> bytes:
    """Return the link's QR code as PNG bytes, as `qr_png` writes them, for an image widget."""
    if not isinstance(box_size, int) or box_size < 1:
        raise ValueError(f"box_size {box_size!r} is invalid; give the pixels per QR module as a positive integer.")

    code = _qr_code(link)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(link: str, path: str | Path) -> Path:
    """Write the link's QR code as an SVG file of one path element; return the path.

    The version and error correction are those of `qr_png`. The size is 1 mm per module with a
    4-module border, so a version 3 code (29 modules) is 37 mm wide. SVG scales without blur.
    """
    from qrcode.image.svg import SvgPathImage

    code = _qr_code(link, image_factory=SvgPathImage)
    code.make_image().save(str(path))
    return Path(path)


def sheet_pdf(questions: Sequence[SheetQuestion], bot_username: str, path: str | Path, language: str) -> Path:
    """Write a PDF with one A4 page per question for printing; return the path.

    Each page shows the question number, a QR code 150 mm wide, the code in large letters, the deep
    link (also clickable) and a one-line instruction in `language` ("it" or "en").
    Raises InvalidEvent for an unknown language or username, and InvalidQuestion for an invalid code or
    an empty `questions`.
    """
    texts = SHEET_TEXTS.get(language)
    if texts is None:
        raise InvalidEvent(
            f"Sheet language {language!r} is not supported; use one of: {', '.join(sorted(SHEET_TEXTS))}."
        )
    if not questions:
        raise InvalidQuestion("No questions to put on the sheet; add questions to the event first.")
    links = [deep_link(bot_username, question.code) for question in questions]
    try:
        from fpdf import FPDF
    except ImportError as error:
        raise ImportError("PDF sheets need the fpdf2 package; install it with: pip install 'quizkit[qr]'") from error

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    for question, link in zip(questions, links):
        pdf.add_page()
        _draw_page(pdf, question, link, texts)
    pdf.output(str(path))
    return Path(path)


def _draw_page(pdf, question: SheetQuestion, link: str, texts: dict[str, str]) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_y(15)
    _fitted_line(pdf, texts["heading"].format(number=question.number), width, 28, style="B", height=14)

    image = _qr_code(link).make_image(fill_color="black", back_color="white").get_image()
    pdf.image(image, x=(pdf.w - _SHEET_QR_MM) / 2, y=32, w=_SHEET_QR_MM, h=_SHEET_QR_MM)

    pdf.set_y(32 + _SHEET_QR_MM + 6)
    _fitted_line(pdf, question.code, width, 72, style="B", height=30)
    pdf.ln(6)
    _fitted_line(pdf, link, width, 14, height=8, link=link)
    pdf.ln(6)
    _fitted_line(pdf, texts["instruction"], width, 16, height=8)


def _fitted_line(pdf, text: str, width: float, max_points: float, style: str = "", height: float = 8,
                 link: str = "") -> None:
    # Shrinks the font until the text fits on one line, so a 64-character code or a 116-character link
    # stays on one line and reads back from the PDF as one string.
    points = max_points
    pdf.set_font("Helvetica", style=style, size=points)
    while points > 4 and pdf.get_string_width(text) > width:
        points -= 0.5
        pdf.set_font("Helvetica", style=style, size=points)
    pdf.cell(width, height, text, align="C", link=link, new_x="LMARGIN", new_y="NEXT")
