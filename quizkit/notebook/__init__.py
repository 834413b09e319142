"""The host panel for JupyterLab: `Panel`, `start_event_host` for a real event and `start_rehearsal` to try it without Telegram.

Needs ipywidgets and matplotlib: `pip install 'quizkit[notebook]'`.
"""

from quizkit.notebook.crowd_runner import CrowdRunner
from quizkit.notebook.event_start import HostStartError, start_event_host
from quizkit.notebook.panel import Panel
from quizkit.notebook.rehearsal import Rehearsal, start_rehearsal

__all__ = ["CrowdRunner", "HostStartError", "Panel", "Rehearsal", "start_event_host", "start_rehearsal"]
