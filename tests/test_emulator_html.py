"""Telegram's HTML parse mode as the emulator applies it; the expected texts are tdlib's own."""

from __future__ import annotations

import pytest

from quizkit.emulator._html import HtmlParseError, parse_html, utf16_length

# Each prefix "🏟 🏟&lt;" is 13 bytes long, so the first tag after it starts at byte offset 13.
PREFIX = "🏟 🏟&lt;"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (PREFIX + "<abacaba", "Unclosed start tag at byte offset 13"),
        (PREFIX + "<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        (PREFIX + "<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        (PREFIX + "<i    aba>", 'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13'),
        (PREFIX + "<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        (PREFIX + "<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        (PREFIX + '<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
        (PREFIX + "</", "Unexpected end tag at byte offset 13"),
        (PREFIX + "<b></b></", "Unexpected end tag at byte offset 20"),
        (PREFIX + "<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (PREFIX + "<i>a</em   >", 'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</i>", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="x">y</tg-emoji>', "Invalid custom emoji identifier specified"),
        (
            "&#57311;",
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate "
            "code units",
        ),
    ],
)
def test_parse_html_rejects_like_telegram(source, message):
    with pytest.raises(HtmlParseError) as raised:
        parse_html(source)

    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("&lt;&gt;&amp;&quot;&laquo;&#12345678;", '<>&"&laquo;&#12345678;'),
        ("AT&T &amp 1 > 0", "AT&T & 1 > 0"),
        ("&#233;t&#xE9;", "été"),
        ("<b></b>empty", "empty"),
    ],
    ids=["named", "lenient-ampersand", "numeric", "empty-tag"],
)
def test_parse_html_decodes_references(source, text):
    assert parse_html(source)[0] == text


def test_parse_html_entities_use_utf16_offsets():
    text, entities = parse_html("🏟 <b>Roma</b> <i>🏟</i>")

    assert text == "🏟 Roma 🏟"
    assert entities == [
        {"offset": 3, "length": 4, "type": "bold"},
        {"offset": 8, "length": 2, "type": "italic"},
    ]


def test_parse_html_nested_and_closing_shorthand():
    text, entities = parse_html("<B>a<i>b</></b>")

    assert text == "ab"
    assert entities == [{"offset": 0, "length": 2, "type": "bold"}, {"offset": 1, "length": 1, "type": "italic"}]


def test_parse_html_links_and_blocks():
    source = (
        '<a href="https://t.me/quizkit_bot?start=IY4">link</a> <tg-spoiler>s</tg-spoiler> '
        '<span class="tg-spoiler">t</span> <blockquote expandable>q</blockquote> '
        '<pre><code class="language-python">x = 1</code></pre>'
    )

    _, entities = parse_html(source)

    assert [entity["type"] for entity in entities] == [
        "text_link",
        "spoiler",
        "spoiler",
        "expandable_blockquote",
        "pre",
    ]
    assert entities[0]["url"] == "https://t.me/quizkit_bot?start=IY4"
    assert entities[-1]["language"] == "python"


def test_utf16_length_counts_surrogate_pairs():
    assert utf16_length("a🏟é") == 4
