import subprocess
import sys

import quizkit


def test_public_names_resolve():
    for name in quizkit.__all__:
        assert getattr(quizkit, name) is not None, name


def test_engine_import_skips_telegram():
    code = "import sys, quizkit; quizkit.Engine; quizkit.Store; print('telegram' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert run.stdout.strip() == "False"
