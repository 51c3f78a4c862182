"""deploy/: the systemd unit verifies, the Dockerfile builds, the compose file is complete.

``systemd-analyze verify`` checks that ExecStart's program exists, so the unit is verified
with its ``/opt/banwatch/bin/banwatch`` pointed at this checkout's installed ``banwatch``.
A machine without systemd-analyze, or without a docker engine answering, skips with the
reason (CI installs systemd; no docker engine runs there).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

DEPLOY = REPO / "deploy"
INSTALLED = "/opt/banwatch/bin/banwatch"


def _banwatch_program() -> str:
    program = Path(sys.executable).with_name("banwatch")
    return str(program) if program.exists() else (shutil.which("banwatch") or "")


def test_the_unit_runs_banwatch_hardened_and_verifies(tmp_path: Path):
    unit = (DEPLOY / "banwatch.service").read_text(encoding="utf-8")
    for line in (
        f"ExecStart={INSTALLED} run",
        "Restart=on-failure",
        "User=banwatch",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/banwatch",
    ):
        assert line in unit.splitlines(), line
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    program = _banwatch_program()
    assert program, "banwatch is not installed in this environment"
    copy = tmp_path / "banwatch.service"
    copy.write_text(unit.replace(INSTALLED, program), encoding="utf-8")
    run = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert not run.stderr.strip(), run.stderr


def test_compose_runs_banwatch_against_postgresql():
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert "image: postgres:" in compose
    assert "BANWATCH_DATABASE_URL: postgresql://" in compose
    assert "dockerfile: deploy/Dockerfile" in compose
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "USER banwatch" in dockerfile and "banwatch run" in dockerfile


@pytest.mark.slow
def test_the_dockerfile_builds():
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        pytest.skip("no docker engine answers (docker info failed)")
    build = subprocess.run(
        [docker, "build", "-f", str(DEPLOY / "Dockerfile"), "-t", "banwatch:test", str(REPO)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert build.returncode == 0, build.stderr[-2000:]
