"""``baken report`` on the command line: its errors, said plainly."""

from __future__ import annotations

import pytest

from bot.cli import main
from testkit.redisserver import free_port


def test_a_period_that_ends_before_it_starts(capsys: pytest.CaptureFixture[str]) -> None:
    """--to before --from: exit 2 and why, before anything is asked of Prometheus."""
    argv = ["report", "--prometheus", "http://127.0.0.1:1", "--from", "2026-11-29"]
    assert main([*argv, "--to", "2026-11-23"]) == 2
    assert "--to is before --from" in capsys.readouterr().err


def test_no_prometheus_there(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listens at the address: exit 2, the address in the message, no page."""
    url = f"http://127.0.0.1:{free_port()}"
    argv = ["report", "--prometheus", url, "--from", "2026-11-23", "--to", "2026-11-29"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert f"cannot reach Prometheus at {url}" in captured.err
    assert captured.out == ""


def test_a_date_that_is_not_one(capsys: pytest.CaptureFixture[str]) -> None:
    """--from 23-11-2026: argparse refuses it (exit 2) and names the option."""
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--prometheus", "http://x", "--from", "23-11-2026", "--to", "2026-11-29"])
    assert stopped.value.code == 2
    assert "--from" in capsys.readouterr().err
