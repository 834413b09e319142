"""`quizkit bench`'s bad input: invalid options, a missing wrk, a workload for another event."""

from __future__ import annotations

import pytest

from quizkit.benchmark.workload import write_workload
from quizkit.benchmark.wrk import WrkMissing, wrk_path
from quizkit.cli import main


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--parts", "throughput,speed", "expected comma-separated parts out of throughput, closing, pushpull, got 'throughput,speed'"),
    ("--parts", ",", "expected comma-separated parts out of throughput, closing, pushpull, got ','"),
    ("--duration", "0", "expected a number of seconds from 1 to 3600, got '0'"),
    ("--duration", "soon", "expected a number of seconds from 1 to 3600, got 'soon'"),
], ids=["unknown-part", "no-part", "zero-duration", "text-duration"])
def test_bench_rejects_invalid_option(capsys, option, value, message):
    with pytest.raises(SystemExit) as exited:
        main(["bench", option, value])

    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_bench_without_wrk_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(WrkMissing) as raised:
        wrk_path()

    assert "apt-get install -y wrk" in str(raised.value)


def test_bench_cli_without_wrk_exits_with_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))

    code = main(["bench", "--parts", "throughput", "--quick"])

    assert code == 1
    assert "The load generator `wrk` is not installed" in capsys.readouterr().err


def test_workload_rejects_wrong_code_count(tmp_path):
    with pytest.raises(ValueError) as raised:
        write_workload(tmp_path / "workload.tsv", ["IY1", "KZ2"])

    assert str(raised.value) == ("Profile 'codeweek2016' has 14 questions but 2 codes were given; "
                                 "create the event with the profile's questions first.")


def test_floor_stacks_without_their_package_are_skipped(capsys, monkeypatch):
    import importlib.util

    from quizkit.benchmark.throughput import available_stacks

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "granian" else real_find_spec(name, *args))

    stacks = available_stacks(("asgi-uvicorn", "asgi-granian"))

    assert stacks == ["asgi-uvicorn"]
    assert "floor asgi-granian skipped, because granian is not installed" in capsys.readouterr().err
