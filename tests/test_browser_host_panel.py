"""A host runs host.ipynb in JupyterLab in headless chromium: launch, live answers, close, podium.

The kernel plays a classroom rehearsal (25 simulated students on the local emulator), and the test
clicks the panel's buttons as a host would. Each step leaves a screenshot in
test-artifacts/test_host_panel_launch_and_close/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.jupyterlab_server import JupyterLab

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "host.ipynb"


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory):
    """JupyterLab whose kernels rehearse with the classroom crowd, in English, playing nothing by themselves."""
    from tests.browser_support import ARTIFACTS_ROOT

    root = tmp_path_factory.mktemp("host-panel")
    environment = {
        "QUIZKIT_DB": str(root / "host.db"),
        "QUIZKIT_PROFILE": "classroom",
        "QUIZKIT_TIME_SCALE": "2",
        "QUIZKIT_PLAY": "",
        "QUIZKIT_LANGUAGE": "en",
        "QUIZKIT_BOT_TOKEN": "",
    }
    with JupyterLab(root, log_path=ARTIFACTS_ROOT / "jupyterlab-host-panel.log", environment=environment) as lab:
        yield lab


def test_host_panel_launch_and_close(lab_page, jupyter_lab):
    shutil.copy(NOTEBOOK, jupyter_lab.root_dir / "host.ipynb")
    page = lab_page.page

    lab_page.open_notebook("host.ipynb")
    lab_page.run_all_cells()
    lab_page.wait_for_text("No question has been launched yet.", exact=True)
    lab_page.wait_for_text("Waiting for the next question", exact=True)

    lab_page.click_button("Start the crowd")
    lab_page.wait_for_text(re.compile(r"Crowd on: "))

    lab_page.click_button("Launch")
    opened = lab_page.wait_for_text(re.compile(r"^Question 1 \(\w+\) is open\.$"))
    code = re.fullmatch(r"Question 1 \((\w+)\) is open\.", opened.inner_text()).group(1)
    qr = page.locator("img.quizkit-qr")
    qr.wait_for(state="visible", timeout=30_000)
    assert qr.evaluate("image => image.complete && image.naturalWidth > 100")
    lab_page.screenshot("qr-code")

    lab_page.wait_for_text(re.compile(rf"Question 1 \({code}\) · open · [1-9]\d* answers"), timeout_s=60)
    lab_page.wait_for_text(re.compile(rf"Question 1 \({code}\) · open · 2[0-9] answers"), timeout_s=60)

    lab_page.fill_text("Correct answer", "Roma | Rome")
    lab_page.click_button("Close")
    lab_page.wait_for_text(re.compile(rf"Close question 1 \({code}\) with the correct answer Roma / Rome\?"))
    lab_page.click_button("Yes, close it")
    lab_page.wait_for_text(re.compile(rf"^Question 1 \({code}\) is closed: \d+ correct out of \d+\.$"), timeout_s=60)

    lab_page.wait_for_text(re.compile(rf"Question 1 \({code}\) · closed · \d+ answers · \d+ people reached · \d+ correct"))
    podium = page.locator(".quizkit-podium").first
    lab_page.scroll_to(podium, timeout_s=30)
    assert "🥇" in podium.inner_text()
    lab_page.screenshot("podium")

    # The projector is in a later cell: scroll to it for the check and the screenshot.
    projector = page.locator(".quizkit-projector")
    lab_page.scroll_to(projector, timeout_s=30)
    projector.get_by_text(re.compile(r"^🥇 .+ · \d+\.\d s$")).wait_for(state="visible", timeout=30_000)
    lab_page.screenshot("projector-podium")

    screenshots = sorted(path.name for path in lab_page.screenshots_dir.glob("*.png"))
    assert any("podium" in name for name in screenshots)
