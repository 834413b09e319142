"""The projector view: what the audience sees on a second screen.

While a question is open it shows the question, a large QR code of its deep link and the code in
large letters; after it closes, the podium. In JupyterLab, display `panel.projector` in its own cell,
then right-click its output and choose "Create New View for Cell Output" to drag it to the projector's
window.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import ipywidgets as widgets

from quizkit.model import LeaderboardRow, PodiumEntry

__all__ = ["MEDALS", "Projector"]

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


class Projector:
    """A large-print view that the panel switches between waiting, an open question and a podium."""

    def __init__(self, words: dict[str, str], bot_username: str) -> None:
        self._words = words
        self._bot = bot_username
        self.heading = widgets.HTML()
        self.qr = widgets.Image(format="png", layout=widgets.Layout(width="420px", height="420px", display="none"))
        self.body = widgets.HTML()
        self.widget = widgets.VBox(
            [self.heading, self.qr, self.body],
            layout=widgets.Layout(align_items="center", padding="16px", border="1px solid #ccc"),
        )
        self.widget.add_class("quizkit-projector")
        self.show_waiting()

    def show_waiting(self) -> None:
        """Show that the next question is coming."""
        self.heading.value = _big(self._words["projector_wait"], "36px")
        self.qr.layout.display = "none"
        self.body.value = ""

    def show_question(self, number: int, code: str, text: str, link: str, qr_png: bytes) -> None:
        """Show question `number` with its QR code, its code in large letters and the link."""
        self.heading.value = _big(f"{self._words['question']} {number}: {text}", "32px")
        self.qr.value = qr_png
        self.qr.layout.display = "block"
        self.body.value = (
            _big(code, "72px", bold=True)
            + _big(self._words["projector_scan"], "24px")
            + _big(self._words["projector_or"].format(bot=self._bot), "20px")
            + f'<div style="text-align:center;font-size:18px;font-family:monospace">{escape(link)}</div>'
        )

    def show_podium(self, number: int, code: str, answers: Sequence[str], podium: Sequence[PodiumEntry]) -> None:
        """Show the podium of closed question `number` and its correct answers."""
        title = self._words["podium_title"].format(number=number, code=code, answers=" / ".join(answers))
        self.heading.value = _big(title, "32px")
        self.qr.layout.display = "none"
        lines = [
            f"{MEDALS.get(entry.rank, f'{entry.rank}.')} {entry.display_name} · {entry.delay_s:.1f} s"
            for entry in podium
        ]
        self.body.value = "".join(_big(line, "40px") for line in lines) or _big("—", "40px")


    def show_leaderboard(self, rows: Sequence[LeaderboardRow]) -> None:
        """Show the top of the final leaderboard."""
        self.heading.value = _big(self._words["leaderboard"], "36px")
        self.qr.layout.display = "none"
        lines = [f"{MEDALS.get(row.position, f'{row.position}.')} {row.display_name} · {row.correct}" for row in rows]
        self.body.value = "".join(_big(line, "30px") for line in lines) or _big("—", "30px")


def _big(text: str, size: str, bold: bool = False) -> str:
    weight = "bold" if bold else "normal"
    return f'<div style="text-align:center;font-size:{size};font-weight:{weight};margin:8px">{escape(text)}</div>'
