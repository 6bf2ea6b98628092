"""The command line, as an operator runs it: one-line errors, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "HEARTBEAT_FILE": str(tmp_path / "heartbeat"),
        **env,
    }
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no .env here
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_without_token_is_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, "run")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "BOT_TOKEN is not set" in result.stderr
    assert "python -m bot sandbox" in result.stderr


def test_bad_setting_is_one_line(tmp_path: Path) -> None:
    result = run(
        tmp_path, "run", BOT_TOKEN="123:abcdefghijklmnopqrstuvwxyz", CONFERENCE_TZ="Mars/Base"
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "unknown time zone" in result.stderr


def test_placeholder_token_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "run", BOT_TOKEN="changeme")
    assert result.returncode != 0 and "placeholder" in result.stderr


def test_db_upgrade_and_first_administrator(tmp_path: Path) -> None:
    upgraded = run(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    created = run(tmp_path, "admin", "add", "--telegram-id", "5001", "--role", "ts")
    assert created.returncode == 0, created.stderr
    assert "roles ts" in created.stdout
    again = run(
        tmp_path,
        "admin",
        "add",
        "--telegram-id",
        "5001",
        "--role",
        "vice_minister",
        "--state",
        "MX",
    )
    assert again.returncode == 2
    assert "Traceback" not in again.stderr and "already bound" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "president"), "unknown role president"),
        (("--role", "focal_point"), "must be bound to a member state"),
        (("--role", "focal_point", "--state", "ZZ"), "Unknown member state ZZ"),
    ],
)
def test_admin_add_refuses_bad_input(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run(tmp_path, "admin", "add", "--telegram-id", "7", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_health_fails_without_a_running_bot(tmp_path: Path) -> None:
    result = run(tmp_path, "health")
    assert result.returncode == 1 and "no heartbeat" in result.stderr
    (tmp_path / "heartbeat").touch()
    assert run(tmp_path, "health").returncode == 0
