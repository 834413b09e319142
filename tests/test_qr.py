"""Deep links, QR images and the PDF sheet, each read back with a decoder or a parser."""

from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pypdf
import pytest
import zxingcpp
from PIL import Image

from quizkit import qr
from quizkit.errors import InvalidEvent, InvalidQuestion
from quizkit.qr import QuestionCode

MAX_USERNAME = "q" * 29 + "bot"
MAX_PAYLOAD = "Az09_-" * 10 + "Zz9-"

LINKS = [
    pytest.param("quizkit_bot", "KX4", id="typical"),
    pytest.param("abcde", "x", id="shortest"),
    pytest.param(MAX_USERNAME, MAX_PAYLOAD, id="max-length"),
]


def _decode(image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_max_values_have_max_lengths():
    assert len(MAX_USERNAME) == 32
    assert len(MAX_PAYLOAD) == 64


@pytest.mark.parametrize(("username", "code"), LINKS)
def test_deep_link_format(username, code):
    assert qr.deep_link(username, code) == f"https://t.me/{username}?start={code}"


def test_deep_link_drops_at_sign():
    assert qr.deep_link("@quizkit_bot", "KX4") == "https://t.me/quizkit_bot?start=KX4"


@pytest.mark.parametrize("username", ["quiz", "q" * 33, "quiz bot", "quizkit-bot", "quizkit_bòt", "", None])
def test_deep_link_rejects_bot_username(username):
    with pytest.raises(InvalidEvent) as raised:
        qr.deep_link(username, "KX4")

    assert str(raised.value) == (
        f"Bot username {username!r} is invalid: a username is 5 to 32 characters from A-Z, a-z, 0-9 "
        f"and underscore; give the bot's Telegram username, e.g. 'quizkit_bot'."
    )


@pytest.mark.parametrize("code", ["", "x" * 65, "KX 4", "KX4!", "KX4\n", "dòmanda", None])
def test_deep_link_rejects_payload(code):
    with pytest.raises(InvalidQuestion) as raised:
        qr.deep_link("quizkit_bot", code)

    assert str(raised.value) == (
        f"Deep-link payload {code!r} is invalid: a payload is 1 to 64 characters from A-Z, a-z, 0-9, "
        f"underscore and hyphen; use the question's code, e.g. 'KX4'."
    )


def test_locales_use_the_same_deep_link():
    from quizkit.locales import _base

    assert _base.deep_link is qr.deep_link


@pytest.mark.parametrize(("username", "code"), LINKS)
def test_qr_png_decodes_to_link(tmp_path, username, code):
    link = qr.deep_link(username, code)

    path = qr.qr_png(link, tmp_path / "code.png")

    with Image.open(path) as image:
        assert _decode(image) == [link]


def test_qr_png_box_size_sets_pixels(tmp_path):
    link = qr.deep_link("quizkit_bot", "KX4")

    with Image.open(qr.qr_png(link, tmp_path / "small.png", box_size=4)) as small:
        small_width = small.width
        assert _decode(small) == [link]
    with Image.open(qr.qr_png(link, tmp_path / "large.png", box_size=12)) as large:
        large_width = large.width

    assert small_width % 4 == 0
    assert large_width == small_width // 4 * 12


@pytest.mark.parametrize("box_size", [0, -1, 2.5])
def test_qr_png_rejects_box_size(tmp_path, box_size):
    with pytest.raises(ValueError, match="box_size"):
        qr.qr_png("https://t.me/quizkit_bot?start=KX4", tmp_path / "code.png", box_size=box_size)


@pytest.mark.parametrize(("username", "code", "modules"), [
    pytest.param("quizkit_bot", "KX4", 37, id="version-3"),
    pytest.param(MAX_USERNAME, MAX_PAYLOAD, 53, id="version-7"),
])
def test_qr_svg_is_xml_of_expected_size(tmp_path, username, code, modules):
    # The version fits the link: a version v code has 17 + 4v modules, plus a 4-module border on each side.
    path = qr.qr_svg(qr.deep_link(username, code), tmp_path / "code.svg")

    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == f"{modules}mm"
    assert root.get("height") == f"{modules}mm"
    assert root.get("viewBox") == f"0 0 {modules} {modules}"
    assert len(root.findall("{http://www.w3.org/2000/svg}path")) == 1


SHEET_QUESTIONS = [QuestionCode(1, "KX4"), QuestionCode(2, "Capitale_d-Italia"), QuestionCode(3, MAX_PAYLOAD)]


@pytest.mark.parametrize(("language", "heading", "instruction"), [
    ("it", "Domanda", "Inquadra il codice con la fotocamera del telefono o apri il link"),
    ("en", "Question", "Scan the code with your phone's camera or open the link"),
])
def test_sheet_pdf_page_per_question(tmp_path, language, heading, instruction):
    path = qr.sheet_pdf(SHEET_QUESTIONS, MAX_USERNAME, tmp_path / "sheet.pdf", language)

    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == len(SHEET_QUESTIONS)
    for page, question in zip(reader.pages, SHEET_QUESTIONS):
        lines = page.extract_text().splitlines()
        assert lines == [
            f"{heading} {question.number}",
            question.code,
            qr.deep_link(MAX_USERNAME, question.code),
            instruction,
        ]
        assert page.mediabox.width == pytest.approx(595.28, abs=0.01)
        assert page.mediabox.height == pytest.approx(841.89, abs=0.01)


def test_sheet_pdf_qr_images_decode(tmp_path):
    path = qr.sheet_pdf(SHEET_QUESTIONS, MAX_USERNAME, tmp_path / "sheet.pdf", "en")

    reader = pypdf.PdfReader(path)
    for page, question in zip(reader.pages, SHEET_QUESTIONS):
        images = list(page.images)
        assert len(images) == 1
        with Image.open(io.BytesIO(images[0].data)) as image:
            assert _decode(image) == [qr.deep_link(MAX_USERNAME, question.code)]


def test_sheet_pdf_rejects_language(tmp_path):
    with pytest.raises(InvalidEvent) as raised:
        qr.sheet_pdf(SHEET_QUESTIONS, "quizkit_bot", tmp_path / "sheet.pdf", "fr")

    assert str(raised.value) == "Sheet language 'fr' is not supported; use one of: en, it."
    assert not (tmp_path / "sheet.pdf").exists()


def test_sheet_pdf_rejects_invalid_code(tmp_path):
    with pytest.raises(InvalidQuestion, match="Deep-link payload 'K X4' is invalid"):
        qr.sheet_pdf([QuestionCode(1, "K X4")], "quizkit_bot", tmp_path / "sheet.pdf", "it")

    assert not (tmp_path / "sheet.pdf").exists()


def test_sheet_pdf_rejects_no_questions(tmp_path):
    with pytest.raises(InvalidQuestion) as raised:
        qr.sheet_pdf([], "quizkit_bot", tmp_path / "sheet.pdf", "it")

    assert str(raised.value) == "No questions to put on the sheet; add questions to the event first."


# The command line, on a database that a classroom rehearsal wrote.


def _quizkit(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quizkit", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def rehearsal_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rehearsal")
    run = _quizkit("rehearse", "--profile", "classroom", "--time-scale", "0.05", "--db", str(folder / "quiz.db"),
                   "--language", "it", "--no-progress", cwd=folder)
    assert run.returncode == 0, run.stderr
    return folder / "quiz.db"


def test_cli_qr_writes_images_and_sheet(tmp_path, rehearsal_db):
    codes = qr.load_event_codes(rehearsal_db)
    out = tmp_path / "codes"

    run = _quizkit("qr", "--db", str(rehearsal_db), "--out", str(out), "--pdf", str(tmp_path / "sheet.pdf"),
                   cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert codes.language == "it"
    assert codes.bot_username == "quizkit_rehearsal_bot"
    assert [question.number for question in codes.questions] == [1, 2, 3, 4, 5]
    expected_files = sorted(f"{question.code}.{kind}" for question in codes.questions for kind in ("png", "svg"))
    assert sorted(path.name for path in out.iterdir()) == expected_files

    for question in codes.questions:
        link = qr.deep_link("quizkit_rehearsal_bot", question.code)
        with Image.open(out / f"{question.code}.png") as image:
            assert _decode(image) == [link]
        ElementTree.parse(out / f"{question.code}.svg")

    reader = pypdf.PdfReader(tmp_path / "sheet.pdf")
    assert len(reader.pages) == 5
    for page, question in zip(reader.pages, codes.questions):
        text = page.extract_text()
        assert f"Domanda {question.number}" in text
        assert question.code in text
        assert qr.deep_link("quizkit_rehearsal_bot", question.code) in text


def test_cli_qr_leaves_database_unchanged(tmp_path, rehearsal_db):
    before = rehearsal_db.read_bytes()

    run = _quizkit("qr", "--db", str(rehearsal_db), "--out", str(tmp_path / "codes"), cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert rehearsal_db.read_bytes() == before
    assert not (tmp_path / "sheet.pdf").exists()


def test_cli_qr_unknown_event(tmp_path, rehearsal_db):
    run = _quizkit("qr", "--db", str(rehearsal_db), "--event", "nope", "--out", str(tmp_path / "codes"), cwd=tmp_path)

    assert run.returncode == 1
    assert "Event 'nope' not found" in run.stderr
    assert not (tmp_path / "codes").exists()


def test_cli_qr_out_is_a_file(tmp_path, rehearsal_db):
    (tmp_path / "codes").write_text("")

    run = _quizkit("qr", "--db", str(rehearsal_db), "--out", str(tmp_path / "codes"), cwd=tmp_path)

    assert run.returncode == 1
    assert run.stderr == f"quizkit: --out {str(tmp_path / 'codes')!r} is a file; give a folder to write the images into.\n"


def test_cli_qr_missing_database(tmp_path):
    run = _quizkit("qr", "--db", str(tmp_path / "missing.db"), "--out", str(tmp_path / "codes"), cwd=tmp_path)

    assert run.returncode == 1
    assert "not found, and no file was created. Check the path, or create the event's database" in run.stderr
