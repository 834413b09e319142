"""Small HTML tables for the panel's widgets; every value is escaped, since names come from Telegram."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

__all__ = ["pairs_table", "table"]

_TABLE_STYLE = "border-collapse: collapse; font-size: {size}; width: 100%;"
_CELL_STYLE = "padding: 2px 10px; text-align: left; border-bottom: 1px solid #ddd;"


def table(columns: Sequence[str], rows: Iterable[Sequence[object]], size: str = "13px",
          css_class: str = "quizkit-table") -> str:
    """Return one HTML table with a header of `columns` and one row per item of `rows`."""
    head = "".join(f'<th style="{_CELL_STYLE}">{escape(str(column))}</th>' for column in columns)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL_STYLE}">{escape(_text(value))}</td>' for value in row) + "</tr>"
        for row in rows
    )
    return (f'<table class="{css_class}" style="{_TABLE_STYLE.format(size=size)}">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def pairs_table(pairs: Iterable[tuple[str, object]], css_class: str = "quizkit-status") -> str:
    """Return a two-column table of labels and values, for status figures."""
    rows = "".join(
        f'<tr><th style="{_CELL_STYLE}">{escape(label)}</th><td style="{_CELL_STYLE}">{escape(_text(value))}</td></tr>'
        for label, value in pairs
    )
    return f'<table class="{css_class}" style="{_TABLE_STYLE.format(size="13px")}">{rows}</table>'


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
