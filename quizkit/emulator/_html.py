"""Telegram's HTML parse mode: the plain text and entities of a message, or the error Telegram returns.

The emulator applies the same rules as tdlib's parser, which the Bot API server uses, so that an
escaping bug in quizkit fails in tests the way it would fail in production:

- Only the tags Telegram supports are accepted, in any letter case.
- Every start tag needs its end tag, and `</>` closes the innermost open tag.
- `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric references are decoded, with or without the `;`.
  Any other `&` stays as it is, but a bare `<` is an error.

Error messages carry byte offsets into the UTF-8 text and match tdlib's wording, for example
`Unsupported start tag "br" at byte offset 0`. Entity offsets and lengths are in UTF-16 code
units, as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}

_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NUMERIC_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
_NAMED_REFERENCE = re.compile(r"&([a-zA-Z]+);?")
_PLAIN_RUN = re.compile(r"[^<&]+")
_SPACES = " \t\n\r\f\v"
_SURROGATE_MESSAGE = (
    "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units"
)


class HtmlParseError(ValueError):
    """Text that Telegram's HTML parse mode rejects. The message uses tdlib's wording."""


@dataclass
class _OpenTag:
    name: str
    argument: str
    start_utf16: int
    byte_offset: int


def utf16_length(text: str) -> int:
    """Return the length of `text` in UTF-16 code units, the unit of Bot API entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and the MessageEntity dicts of `source`, or raise HtmlParseError."""
    return _HtmlParser(source).parse()


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.pieces: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "&":
                self._reference()
            elif char == "<":
                self._tag()
            else:
                run = _PLAIN_RUN.match(self.source, self.pos)
                assert run is not None
                self._append(run.group())
                self.pos = run.end()

        if self.stack:
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')

        for entity in self.entities:
            entity.pop("_language", None)
        entities = sorted(self.entities, key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.pieces), entities

    def _append(self, text: str) -> None:
        self.pieces.append(text)
        self.utf16 += utf16_length(text)

    def _byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def _error(self, detail: str, index: int) -> HtmlParseError:
        return HtmlParseError(f"{detail} at byte offset {self._byte_offset(index)}")

    def _skip_spaces(self, index: int) -> int:
        while index < len(self.source) and self.source[index] in _SPACES:
            index += 1
        return index

    def _reference(self) -> None:
        decoded = decode_reference(self.source, self.pos)
        if decoded is None:
            self._append("&")
            self.pos += 1
            return
        text, self.pos = decoded
        self._append(text)

    def _tag(self) -> None:
        if self.source.startswith("</", self.pos):
            self._end_tag()
        else:
            self._start_tag()

    def _start_tag(self) -> None:
        source, start = self.source, self.pos
        name_end = start + 1
        while name_end < len(source) and source[name_end] not in _SPACES and source[name_end] != ">":
            name_end += 1
        if name_end == len(source):
            raise self._error("Unclosed start tag", start)

        name = source[start + 1 : name_end].lower()
        if name not in SUPPORTED_TAGS:
            raise self._error(f'Unsupported start tag "{name}"', start)

        argument, self.pos = self._attributes(name, start, name_end)
        if name == "span" and argument != "spoiler":
            raise self._error('Tag "span" must have class "tg-spoiler"', start)
        self.stack.append(_OpenTag(name, argument, self.utf16, self._byte_offset(start)))

    def _attributes(self, name: str, start: int, index: int) -> tuple[str, int]:
        """Read the attributes up to `>` and return the tag's argument and the index after `>`."""
        source = self.source
        argument = ""
        while True:
            index = self._skip_spaces(index)
            if index == len(source):
                raise self._error(f'Unclosed start tag "{name}"', start)
            if source[index] == ">":
                return argument, index + 1

            attribute_start = index
            while index < len(source) and source[index] not in _SPACES and source[index] not in "=>":
                index += 1
            attribute = source[attribute_start:index].lower()
            if not attribute:
                raise self._error(f'Empty attribute name in the tag "{name}"', start)

            index = self._skip_spaces(index)
            if index == len(source):
                raise self._error(f'Unclosed start tag "{name}"', start)
            if source[index] != "=":
                if name == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise self._error(f'Expected equal sign in declaration of an attribute of the tag "{name}"', start)

            index = self._skip_spaces(index + 1)
            if index == len(source):
                raise self._error(f'Unclosed start tag "{name}"', start)
            value, index = self._attribute_value(start, index)
            argument = _tag_argument(name, attribute, value, argument)

    def _attribute_value(self, start: int, index: int) -> tuple[str, int]:
        source = self.source
        if source[index] in "'\"":
            closing = source.find(source[index], index + 1)
            if closing < 0:
                raise self._error("Unclosed start tag", start)
            return decode_text(source[index + 1 : closing]), closing + 1

        token_end = index
        while token_end < len(source) and (_is_ascii_alnum(source[token_end]) or source[token_end] in ".-"):
            token_end += 1
        if token_end == len(source) or (source[token_end] not in _SPACES and source[token_end] != ">"):
            raise self._error("Unexpected end of name token", index)
        return source[index:token_end].lower(), token_end

    def _end_tag(self) -> None:
        source, start = self.source, self.pos
        if not self.stack:
            raise self._error("Unexpected end tag", start)

        name_end = start + 2
        while name_end < len(source) and source[name_end] not in _SPACES and source[name_end] != ">":
            name_end += 1
        index = self._skip_spaces(name_end)
        if index == len(source) or source[index] != ">":
            raise self._error("Unclosed end tag", start)

        end_name = source[start + 2 : name_end].lower()
        open_tag = self.stack[-1]
        if end_name and end_name != open_tag.name:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(start)}, "
                f'expected "</{open_tag.name}>", found "</{end_name}>"'
            )

        self.stack.pop()
        self.pos = index + 1
        self._close(open_tag)

    def _close(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.start_utf16
        if tag.name == "tg-emoji" and (not tag.argument.isdigit() or int(tag.argument) == 0):
            raise HtmlParseError("Invalid custom emoji identifier specified")
        if length == 0:
            return  # Telegram drops entities that cover no text.

        entity = _entity_for(tag, length)
        if entity is None:
            return
        if tag.name == "pre":
            self._merge_code_language(entity)
        self.entities.append(entity)

    def _merge_code_language(self, pre: dict[str, Any]) -> None:
        # <pre><code class="language-x">…</code></pre> is one "pre" entity with a language.
        for index, entity in enumerate(self.entities):
            same_span = entity["offset"] == pre["offset"] and entity["length"] == pre["length"]
            if entity["type"] == "code" and same_span and entity.get("_language"):
                pre["language"] = entity["_language"]
                del self.entities[index]
                return


def _entity_for(tag: _OpenTag, length: int) -> dict[str, Any] | None:
    entity: dict[str, Any] = {"offset": tag.start_utf16, "length": length}
    if tag.name == "a":
        if not tag.argument:
            return None  # NOTE: tdlib turns <a>url</a> into a link when the text is a URL; the emulator does not.
        entity.update(type="text_link", url=tag.argument)
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if tag.argument else "blockquote"
    elif tag.name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
    else:
        entity["type"] = _SIMPLE_ENTITY_TYPES[tag.name]
        if tag.name == "code" and tag.argument:
            entity["_language"] = tag.argument
    return entity


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    return current


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def decode_reference(source: str, index: int) -> tuple[str, int] | None:
    """Decode the character reference at `source[index]` (an `&`) into its text and the index after it.

    Returns None when no supported reference starts there, so the `&` stays literal.
    """
    numeric = _NUMERIC_REFERENCE.match(source, index)
    if numeric:
        hex_digits, decimal_digits = numeric.groups()
        code = int(hex_digits, 16) if hex_digits else int(decimal_digits)
        if 0xD800 <= code <= 0xDFFF:
            raise HtmlParseError(_SURROGATE_MESSAGE)
        if code == 0 or code > 0x10FFFF:
            return None
        return chr(code), numeric.end()

    named = _NAMED_REFERENCE.match(source, index)
    if named and named.group(1) in _NAMED_REFERENCES:
        return _NAMED_REFERENCES[named.group(1)], named.end()
    return None


def decode_text(text: str) -> str:
    """Decode every character reference in `text`, leaving unsupported ones as they are."""
    pieces: list[str] = []
    index = 0
    while index < len(text):
        decoded = decode_reference(text, index) if text[index] == "&" else None
        if decoded is None:
            pieces.append(text[index])
            index += 1
        else:
            piece, index = decoded
            pieces.append(piece)
    return "".join(pieces)
