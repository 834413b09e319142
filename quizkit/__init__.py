"""quizkit: run live quiz events on Telegram from a Jupyter notebook."""

__version__ = "0.1.0"
