"""The messages-per-second chart, drawn in place into PNG bytes for an ipywidgets Image.

The chart owns one `matplotlib.figure.Figure` made without pyplot, so it never enters pyplot's list
of open figures, never shows itself under the running cell, and is freed with the chart. Each
`render` moves the same line and the same pool of markers; no artist is created per frame, so
memory stays flat however long the event runs.

A full draw of the figure costs about 25 ms, too much to repeat every second next to a busy server.
The axes, ticks and labels change only when the y scale steps up or down (the x axis reads "minutes
ago", which never moves), so `render` keeps them as a saved background and draws only the line and
the markers over it (blitting), which costs a few milliseconds.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["Marker", "RateChart"]

_OPEN_COLOUR = "#2a9d8f"
_CLOSE_COLOUR = "#e76f51"
_LINE_COLOUR = "#264653"
# Upper limits of the y axis; the smallest that leaves 15% headroom above the highest rate is used.
_Y_LIMITS = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)


@dataclass(frozen=True)
class Marker:
    """A moment to mark on the chart: a question opened (`opened` True) or closed."""

    second: float
    label: str
    opened: bool


class RateChart:
    """A line of updates per second over the last `window_s` seconds, with question markers.

    `max_markers` is how many markers fit at once; older ones drop out of the window anyway.
    """

    def __init__(self, title: str, y_label: str, x_label: str, window_s: int = 300,
                 size_in: tuple[float, float] = (9.0, 2.6), dpi: int = 80, max_markers: int = 32) -> None:
        self.window_s = window_s
        self.figure = Figure(figsize=size_in, dpi=dpi)
        self.figure.subplots_adjust(left=0.08, right=0.99, top=0.88, bottom=0.2)
        FigureCanvasAgg(self.figure)
        self._axes = self.figure.add_subplot()
        self._axes.set_title(title, loc="left", fontsize=11)
        self._axes.set_ylabel(y_label)
        self._axes.set_xlabel(x_label)
        self._axes.grid(alpha=0.3)
        self._axes.set_xlim(-window_s / 60, 0)
        # Animated artists are left out of a full draw, so the saved background holds only the axes.
        (self._line,) = self._axes.plot([], [], color=_LINE_COLOUR, linewidth=1.5, animated=True)
        self._markers = [self._new_marker() for _ in range(max_markers)]
        self._background = None
        self._y_limit = 0

    def render(self, now: float, rates: Sequence[tuple[int, int]], markers: Sequence[Marker] = ()) -> bytes:
        """Redraw with `rates` ((second, updates) pairs, any order) up to `now`; return a PNG.

        Seconds without updates count as zero. The x axis reads in minutes before `now`.
        """
        xs, ys = self._series(now, rates)
        self._line.set_data(xs, ys)
        self._place_markers(now, markers)

        canvas = self.figure.canvas
        y_limit = _y_limit(max(ys, default=0))
        if self._background is None or y_limit != self._y_limit:
            self._y_limit = y_limit
            self._axes.set_ylim(0, y_limit)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._moving_artists():
            self._axes.draw_artist(artist)

        buffer = io.BytesIO()
        Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).save(
            buffer, format="png", compress_level=1
        )
        return buffer.getvalue()

    def _moving_artists(self):
        yield self._line
        for line, text in self._markers:
            if line.get_visible():
                yield line
                yield text

    def _series(self, now: float, rates: Sequence[tuple[int, int]]) -> tuple[list[float], list[int]]:
        last = int(now) - 1  # the running second is still counting
        first = last - self.window_s + 1
        per_second = dict.fromkeys(range(first, last + 1), 0)
        for second, count in rates:
            if first <= second <= last:
                per_second[second] += count
        xs = [(second - now) / 60 for second in per_second]
        return xs, list(per_second.values())

    def _place_markers(self, now: float, markers: Sequence[Marker]) -> None:
        visible = [marker for marker in markers if now - self.window_s <= marker.second <= now]
        visible = visible[-len(self._markers):]
        for (line, text), marker in zip(self._markers, visible):
            x = (marker.second - now) / 60
            colour = _OPEN_COLOUR if marker.opened else _CLOSE_COLOUR
            line.set_xdata([x, x])
            line.set_color(colour)
            line.set_visible(True)
            text.set_x(x)
            text.set_text(marker.label)
            text.set_color(colour)
            text.set_visible(True)
        for line, text in self._markers[len(visible):]:
            line.set_visible(False)
            text.set_visible(False)

    def _new_marker(self):
        line = self._axes.axvline(0, linestyle="--", linewidth=1, visible=False, animated=True)
        text = self._axes.text(0, 0.98, "", rotation=90, va="top", ha="right", fontsize=8,
                               transform=self._axes.get_xaxis_transform(), visible=False, animated=True)
        return line, text


def _y_limit(highest: int) -> int:
    for limit in _Y_LIMITS:
        if highest * 1.15 <= limit:
            return limit
    return int(highest * 1.15) + 1
