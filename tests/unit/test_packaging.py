"""What can be checked of the Docker image and compose.yaml without Docker: the files say what
they must, and the image's commands run from a copy laid out as the image lays it out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# What the Dockerfile copies into /app, and nothing else (no tests, no pyproject install).
IMAGE_DIRS = ("bot", "handlers", "schedules", "migrations", "locales")


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined."""
    joined = path.read_text().replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages(path: Path) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for instruction in instructions(path):
        if instruction[0] == "FROM":
            result.append([])
        result[-1].append(instruction)
    return result


def test_dockerfile_runtime_is_small_non_root_and_checked() -> None:
    _build, runtime = stages(ROOT / "Dockerfile")
    assert runtime[0][1].endswith("-slim")
    users = [args for word, args in runtime if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    # The runtime stage installs nothing: it takes the build's virtualenv and code.
    assert not [args for word, args in runtime if word == "RUN" and "pip" in args]
    health = [args for word, args in runtime if word == "HEALTHCHECK"]
    assert len(health) == 1 and json.loads(health[0].split("CMD", 1)[1]) == [
        "python",
        "-m",
        "bot",
        "health",
    ]
    cmd = [args for word, args in runtime if word == "CMD"]
    assert [json.loads(c) for c in cmd] == [["python", "-m", "bot", "run"]]
    assert ("WORKDIR", "/app") in runtime
    # The code is not the bot user's to change: no --chown on the copy of /app.
    assert ("COPY", "--from=build /app /app") in runtime


def test_dockerfile_copies_the_code_and_compiles_the_catalogs() -> None:
    build, _runtime = stages(ROOT / "Dockerfile")
    copied = {args.split()[0] for word, args in build if word == "COPY"}
    assert set(IMAGE_DIRS) <= copied
    for source in copied:
        assert (ROOT / source).exists(), source
    runs = [args for word, args in build if word == "RUN"]
    # dependencies before the code, so code changes keep the dependency layer
    first_code_copy = build.index(("COPY", "bot ./bot"))
    install = next(i for i, ins in enumerate(build) if ins[0] == "RUN" and "pip install" in ins[1])
    assert install < first_code_copy
    assert any("python -m bot i18n compile" in r for r in runs)
    # nothing the image needs is left out of the build context
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not set(IMAGE_DIRS) & set(ignored)
    assert "*.mo" in ignored and ".env" in ignored  # compiled in the build; secrets stay out


def test_compose_runs_the_bot_with_postgres() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) >= {"bot", "postgres"}
    postgres, bot = services["postgres"], services["bot"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["env_file"] == ".env" and bot["build"] == "."
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in bot["environment"]["DATABASE_URL"]
    assert any(v.endswith(":/app/data") for v in bot["volumes"])
    for service in (postgres, bot):
        assert service["restart"] in ("unless-stopped", "always")
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])}
    assert named <= set(compose["volumes"])


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/app as the image has it: the copied folders, catalogs compiled, nothing installed."""
    app = tmp_path_factory.mktemp("image") / "app"
    for name in IMAGE_DIRS:
        shutil.copytree(
            ROOT / name, app / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    compiled = image_run(app, "i18n", "compile")
    assert compiled.returncode == 0, compiled.stderr
    return app


def image_run(app: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH and no environment of ours: the code is found in the working directory,
    # as in the image (WORKDIR /app, `python -m bot ...`).
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "bot", *args],
        cwd=app,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_image_uses_its_own_code_and_compiled_catalogs(image: Path) -> None:
    where = subprocess.run(
        [sys.executable, "-c", "import bot.i18n as i; print(i.__file__); print(i.LOCALES_DIR)"],
        cwd=image,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert where == [str(image / "bot" / "i18n.py"), str(image / "locales")]
    for lang in ("en", "es"):
        folder = image / "locales" / lang / "LC_MESSAGES"
        mo, po = folder / "messages.mo", folder / "messages.po"
        assert mo.stat().st_mtime >= po.stat().st_mtime  # loaded as is, not recompiled


def test_image_health_command(image: Path) -> None:
    heartbeat = image / "data" / "heartbeat"
    heartbeat.unlink(missing_ok=True)
    sick = image_run(image, "health")
    assert sick.returncode != 0
    assert sick.stderr.strip().splitlines() == ["unhealthy: no heartbeat at data/heartbeat"]
    heartbeat.parent.mkdir(exist_ok=True)
    heartbeat.touch()
    well = image_run(image, "health")
    assert (well.returncode, well.stdout.strip()) == (0, "healthy"), well.stderr


def test_image_run_without_token(image: Path) -> None:
    result = image_run(image, "run")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: BOT_TOKEN is not set")


def test_env_example_as_is_means_unset(image: Path, tmp_path: Path) -> None:
    """`cp .env.example .env` leaves empty `NAME=` lines: they mean unset, so the one thing
    missing is the token (not a 'placeholder' refusal of the empty webhook secret)."""
    folder = tmp_path / "app"
    shutil.copytree(image, folder)
    shutil.copy(ROOT / ".env.example", folder / ".env")
    result = image_run(folder, "run")
    assert result.returncode == 2
    assert result.stderr.startswith("error: BOT_TOKEN is not set"), result.stderr
