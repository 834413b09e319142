"""JupyterLab in headless chromium runs a small widget notebook, and the test clicks and types in it."""

from __future__ import annotations

import sys

import nbformat
import pytest

from tests.browser_support import BrowserStepTimeout

pytestmark = pytest.mark.browser

# The venv's prefix, not its executable: the kernel may start as .venv/bin/python3 or .venv/bin/python.
KERNEL_CELL = "import sys\nprint('kernel:', sys.prefix)"

WIDGETS_CELL = """\
import ipywidgets as widgets

clicks = widgets.Label("Clicks: 0")
button = widgets.Button(description="Add one")
name = widgets.Text(description="Name", placeholder="your name", continuous_update=False)
greeting = widgets.Label("")

def add_one(_):
    clicks.value = f"Clicks: {int(clicks.value.split(': ')[1]) + 1}"

def greet(change):
    greeting.value = f"Hello, {change.new}!"

button.on_click(add_one)
name.observe(greet, names="value")
widgets.VBox([button, clicks, name, greeting])
"""


IMAGE_CELL = """\
import io
from PIL import Image

png = io.BytesIO()
Image.new("RGB", (40, 40), "black").save(png, format="PNG")
widgets.Image(value=png.getvalue(), format="png")
"""


def _write_notebook(path, *sources: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# Browser smoke test")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)


def test_browser_smoke_clicks_and_types(lab_page, jupyter_lab):
    _write_notebook(jupyter_lab.root_dir / "smoke.ipynb", KERNEL_CELL, WIDGETS_CELL, IMAGE_CELL)

    lab_page.open_notebook("smoke.ipynb")
    lab_page.run_all_cells()
    lab_page.wait_for_text(f"kernel: {sys.prefix}", exact=True)
    lab_page.wait_for_text("Clicks: 0", exact=True)
    lab_page.wait_for_image()

    lab_page.click_button("Add one")
    lab_page.wait_for_text("Clicks: 1", exact=True)
    lab_page.click_button("Add one")
    lab_page.wait_for_text("Clicks: 2", exact=True)

    lab_page.fill_text("Name", "Anna", submit=True)
    lab_page.wait_for_text("Hello, Anna!", exact=True)

    with pytest.raises(BrowserStepTimeout, match=r"Timed out after 1 s waiting for text 'Clicks: 3' in a cell output"):
        lab_page.wait_for_text("Clicks: 3", exact=True, timeout_s=1)

    screenshots = sorted(path.name for path in lab_page.screenshots_dir.glob("*.png"))
    assert len(screenshots) == 12
    assert screenshots[:2] == ["01-open-smoke.png", "02-run-all-cells.png"]
    assert screenshots[4:] == [
        "05-images-1.png",
        "06-click-add-one.png",
        "07-text-clicks-1.png",
        "08-click-add-one.png",
        "09-text-clicks-2.png",
        "10-fill-name.png",
        "11-text-hello-anna.png",
        "12-timeout-text-clicks-3-in-a-cell-output.png",
    ]


def test_browser_run_all_reports_cell_errors(lab_page, jupyter_lab):
    _write_notebook(jupyter_lab.root_dir / "broken.ipynb", "x = 1", "raise ValueError('no quiz loaded')", "y = 2")

    lab_page.open_notebook("broken.ipynb")
    with pytest.raises(AssertionError, match=r"cells of 'broken.ipynb' raised: \['cell 3: ValueError: no quiz loaded'\]"):
        lab_page.run_all_cells()
