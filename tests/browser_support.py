"""Drive a notebook in JupyterLab through Debian's headless chromium, with a screenshot of each step.

The fixtures in tests/conftest.py build on this module:

- `jupyter_lab` (module): a `tests.jupyterlab_server.JupyterLab`, logging to
  `test-artifacts/jupyterlab-<module>.log`. Tests copy notebooks into `jupyter_lab.root_dir`. A
  module whose kernels need environment variables defines its own `jupyter_lab` fixture that
  passes `JupyterLab(..., environment={...})`.
- `chromium_browser` (module): Playwright's chromium. Keep browser tests in modules of their own,
  because while it is open an asyncio loop counts as running on the main thread.
- `lab_page` (per test): a `LabPage` in a fresh browser context, saving its screenshots to
  `test-artifacts/<test name>/` at the repository root.

Mark browser test modules with `pytestmark = pytest.mark.browser`. A test reads as the steps a
host takes::

    shutil.copy(NOTEBOOK, jupyter_lab.root_dir / "demo.ipynb")
    lab_page.open_notebook("demo.ipynb")
    lab_page.run_all_cells()
    lab_page.click_button("Add one")
    lab_page.fill_text("Name", "Anna", submit=True)
    lab_page.wait_for_text("Clicks: 1")

Every wait has a timeout and raises `BrowserStepTimeout`, which names what was awaited and the
screenshot taken at that moment. The browser is Debian's `chromium` (`apt-get install chromium`),
never one that Playwright downloads.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Locator, Page, Playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.jupyterlab_server import JupyterLab

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS_ROOT = REPO_ROOT / "test-artifacts"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Every host name except the loopback ones fails to resolve, so the page cannot reach the internet by name.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 900}

OPEN_TIMEOUT_S = 90.0
RUN_ALL_TIMEOUT_S = 120.0
STEP_TIMEOUT_S = 30.0

# Widget views are in cell outputs, so searching only there keeps JupyterLab's own buttons out.
OUTPUTS = ".jp-OutputArea-output"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


class BrowserStepTimeout(AssertionError):
    """A step in the browser did not reach the awaited state before its timeout."""


def find_chromium() -> str | None:
    """Return the path of Debian's `chromium` on PATH, or None when it is not installed."""
    return shutil.which("chromium")


def launch_chromium(playwright: Playwright, executable_path: str) -> Browser:
    """Launch headless chromium from `executable_path`, so Playwright needs no browser of its own."""
    return playwright.chromium.launch(executable_path=executable_path, headless=True, args=CHROMIUM_ARGS)


def artifacts_dir(test_name: str) -> Path:
    """Return an empty `test-artifacts/<test name>/` folder, deleting screenshots of an earlier run."""
    folder = ARTIFACTS_ROOT / re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


class LabPage:
    """A JupyterLab tab in chromium, with helpers for the steps of a notebook test.

    Each helper saves a numbered screenshot once its step is done, such as `03-click-add-one.png`.
    `page` is the Playwright `Page` for anything the helpers do not cover. `off_loopback_requests`
    lists every request the page tried to send to a host other than 127.0.0.1 or localhost.
    """

    def __init__(self, page: Page, lab: JupyterLab, screenshots_dir: Path) -> None:
        self.page = page
        self.lab = lab
        self.screenshots_dir = screenshots_dir
        self.off_loopback_requests: list[str] = []
        self._step = 0
        self._notebook_path: str | None = None
        page.on("request", self._record_request)

    def open_notebook(self, path: str, timeout_s: float = OPEN_TIMEOUT_S) -> None:
        """Open the notebook at `path` (relative to the server's root) and wait until its kernel is idle."""
        self._notebook_path = path
        self.page.goto(self.lab.url(f"lab/tree/{path}?reset", with_token=True))
        self._wait_for_function(
            "path => window.jupyterapp !== undefined"
            " && Array.from(window.jupyterapp.shell.widgets('main')).some(w => w.context?.path === path)",
            f"notebook {path!r} to open",
            timeout_s,
            argument=path,
        )
        self.wait_for_kernel_idle(timeout_s)
        self.screenshot(f"open-{Path(path).stem}")

    def wait_for_kernel_idle(self, timeout_s: float = OPEN_TIMEOUT_S) -> None:
        """Wait until the open notebook's kernel is connected and idle."""
        path = self._open_notebook_path()
        self._wait_for_function(
            "path => {" + _FIND_NOTEBOOK + "const kernel = panel?.sessionContext?.session?.kernel;"
            " return kernel?.connectionStatus === 'connected' && kernel?.status === 'idle'; }",
            f"the kernel of {path!r} to be idle",
            timeout_s,
            argument=path,
        )

    def run_all_cells(self, timeout_s: float = RUN_ALL_TIMEOUT_S) -> None:
        """Run every cell with JupyterLab's `notebook:run-all-cells` command and wait until all finished.

        In JupyterLab 4.6 the command's promise resolves after the last cell's execute reply, or
        after the first cell that raised, because JupyterLab then leaves the cells below it unrun.
        Raises AssertionError listing the error outputs if a cell raised.
        """
        path = self._open_notebook_path()
        self.page.evaluate(
            "path => {" + _FIND_NOTEBOOK + "window.jupyterapp.shell.activateById(panel.id);"
            " window.quizkitRunAll = undefined;"
            " window.jupyterapp.commands.execute('notebook:run-all-cells').then("
            "   succeeded => { window.quizkitRunAll = {succeeded}; },"
            "   error => { window.quizkitRunAll = {succeeded: false, error: String(error)}; });"
            "}",
            path,
        )
        self._wait_for_function("() => window.quizkitRunAll !== undefined", "all cells to finish running", timeout_s)
        self.wait_for_kernel_idle(timeout_s)
        self.screenshot("run-all-cells")

        errors = self.page.evaluate("path => {" + _FIND_NOTEBOOK + _COLLECT_ERRORS + "}", path)
        assert errors == [], f"cells of {path!r} raised: {errors}"
        result = self.page.evaluate("() => window.quizkitRunAll")
        assert result["succeeded"], f"notebook:run-all-cells failed on {path!r}: {result.get('error', 'no error output')}"

    def click_button(self, label: str, timeout_s: float = STEP_TIMEOUT_S) -> None:
        """Click the widget button in the outputs whose visible label is exactly `label`, icon aside."""
        # A widget button's icon is a Font Awesome glyph drawn by CSS, and the glyph (a private-use
        # character) and a space start the button's accessible name, so the name may begin with them.
        name = re.compile(rf"^[\ue000-\uf8ff\s]*{re.escape(label)}\s*$")
        button = self.page.locator(OUTPUTS).get_by_role("button", name=name)
        self._act(lambda: button.click(timeout=timeout_s * 1000), f"button {label!r} to be clickable", timeout_s)
        self.screenshot(f"click-{label}")

    def fill_text(self, label: str, value: str, submit: bool = False, timeout_s: float = STEP_TIMEOUT_S) -> None:
        """Type `value` into the widget text box whose description or placeholder is `label`.

        `submit=True` presses Enter afterwards, which commits the value of a box with
        `continuous_update=False`.
        """
        outputs = self.page.locator(OUTPUTS)
        box = outputs.get_by_label(label, exact=True).or_(outputs.get_by_placeholder(label, exact=True))
        self._act(lambda: box.fill(value, timeout=timeout_s * 1000), f"text box {label!r} to be editable", timeout_s)
        if submit:
            box.press("Enter")
        self.screenshot(f"fill-{label}")

    def wait_for_text(self, text: str | re.Pattern, exact: bool = False, timeout_s: float = STEP_TIMEOUT_S) -> Locator:
        """Wait until an output shows `text` (a substring unless `exact`, or a regular expression).

        Returns the first element showing it.
        """
        found = self.page.locator(OUTPUTS).get_by_text(text, exact=exact).first
        self._wait_for_locator(found, f"text {_describe(text)} in a cell output", timeout_s)
        self.screenshot(f"text-{_describe(text)}")
        return found

    def wait_for_image(self, count: int = 1, timeout_s: float = STEP_TIMEOUT_S) -> None:
        """Wait until the outputs show at least `count` images that have finished loading."""
        self._wait_for_function(
            "count => " + _LOADED_IMAGES + ".length >= count",
            f"{count} loaded image(s) in the cell outputs",
            timeout_s,
            argument=count,
        )
        self.page.evaluate("() => " + _LOADED_IMAGES + ".at(-1).scrollIntoView({block: 'center'})")
        self.screenshot(f"images-{count}")

    def screenshot(self, name: str) -> Path:
        """Save the visible page as `NN-<name>.png` in the test's artifacts folder and return its path."""
        self._step += 1
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:60]
        path = self.screenshots_dir / f"{self._step:02d}-{slug}.png"
        self.page.screenshot(path=path)
        return path

    def _open_notebook_path(self) -> str:
        if self._notebook_path is None:
            raise RuntimeError("No notebook is open in this LabPage. Call open_notebook(path) first.")
        return self._notebook_path

    def _record_request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOOPBACK_HOSTS:
            self.off_loopback_requests.append(request.url)

    def _wait_for_function(self, script: str, awaited: str, timeout_s: float, argument=None) -> None:
        self._act(
            lambda: self.page.wait_for_function(script, arg=argument, timeout=timeout_s * 1000, polling=100),
            awaited,
            timeout_s,
        )

    def _wait_for_locator(self, locator: Locator, awaited: str, timeout_s: float) -> None:
        """Wait until `locator` is in the page, scroll it into view for the screenshot, and wait until visible."""
        timeout_ms = timeout_s * 1000

        def wait() -> None:
            locator.wait_for(state="attached", timeout=timeout_ms)
            self.scroll_to(locator, timeout_s)
            locator.wait_for(state="visible", timeout=timeout_ms)

        self._act(wait, awaited, timeout_s)

    def scroll_to(self, locator: Locator, timeout_s: float = STEP_TIMEOUT_S) -> None:
        """Scroll `locator` into view, trying again while the panel replaces the element under it.

        A live panel redraws its outputs every second. Playwright's scroll fails at once with
        "Element is not attached to the DOM" when the element it found is replaced before it
        scrolls, instead of finding the new one, so this looks it up again until `timeout_s`.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            remaining_ms = max((deadline - time.monotonic()) * 1000, 1)
            try:
                locator.scroll_into_view_if_needed(timeout=remaining_ms)
                return
            except PlaywrightTimeoutError:
                raise
            except PlaywrightError as error:
                if "not attached" not in str(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(0.1)

    def _act(self, action, awaited: str, timeout_s: float) -> None:
        """Run a Playwright `action`, and on its timeout save a screenshot and raise BrowserStepTimeout."""
        try:
            action()
        except PlaywrightTimeoutError:
            shot = self.screenshot(f"timeout {awaited}")
            raise BrowserStepTimeout(
                f"Timed out after {timeout_s:g} s waiting for {awaited}. Screenshot: {shot}"
            ) from None


def _describe(text: str | re.Pattern) -> str:
    return f"/{text.pattern}/" if isinstance(text, re.Pattern) else repr(text)


# JavaScript that sets `panel` to the notebook panel whose file is `path`, or undefined.
_FIND_NOTEBOOK = (
    "const panel = window.jupyterapp"
    " && Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.context?.path === path);"
)

# JavaScript that returns 'ename: evalue' for every error output in `panel`'s cells.
_COLLECT_ERRORS = (
    "const errors = [];"
    " const cells = panel.content.model.cells;"
    " for (let i = 0; i < cells.length; i++) {"
    "   const cell = cells.get(i);"
    "   if (cell.type !== 'code') continue;"
    "   for (const output of cell.outputs.toJSON()) {"
    "     if (output.output_type === 'error') errors.push(`cell ${i + 1}: ${output.ename}: ${output.evalue}`);"
    "   }"
    " }"
    " return errors;"
)

# JavaScript for the images in cell outputs that have finished loading.
_LOADED_IMAGES = (
    "Array.from(document.querySelectorAll('" + OUTPUTS + " img'))"
    ".filter(image => image.complete && image.naturalWidth > 0)"
)
