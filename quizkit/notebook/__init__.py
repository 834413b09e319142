"""The host panel for JupyterLab: `Panel`, and `start_rehearsal` to try it without Telegram.

Needs ipywidgets and matplotlib: `pip install 'quizkit[notebook]'`.
"""

from quizkit.notebook.crowd_runner import CrowdRunner
from quizkit.notebook.panel import Panel
from quizkit.notebook.rehearsal import Rehearsal, start_rehearsal

__all__ = ["CrowdRunner", "Panel", "Rehearsal", "start_rehearsal"]
