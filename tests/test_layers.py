"""The import direction of DESIGN.md holds, and the check that holds it can fail.

``lint-imports`` (import-linter, configured in pyproject.toml) runs in ``make test`` and
``make lint``. These tests run it on a copy of the tree: clean, it passes; with one import
pointing the wrong way, it fails and names the contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_tree(tmp_path: Path) -> Path:
    for package in ("monitor", "crawler"):
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _add_import(tree: Path, module: str, line: str) -> None:
    path = tree / module
    text = path.read_text(encoding="utf-8")
    marker = "from __future__ import annotations\n"
    path.write_text(text.replace(marker, marker + line + "\n", 1), encoding="utf-8")


@pytest.fixture(scope="module")
def clean_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_tree(tmp_path_factory.mktemp("tree"))


def test_the_tree_keeps_every_contract(clean_tree: Path) -> None:
    result = _lint(clean_tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # events enqueuing alerts itself: the upward import this contract was written for.
        ("monitor/events.py", "import monitor.alerts.outbox", "monitor's layers"),
        ("monitor/models.py", "import monitor.queries", "monitor's layers"),
        ("monitor/classify/types.py", "import sqlalchemy", "classify imports nothing"),
        ("monitor/classify/rules.py", "import monitor.db", "classify imports nothing"),
        ("monitor/db.py", "import crawler.items", "monitor never imports crawler"),
        ("crawler/items.py", "import monitor.errors", "crawler imports only"),
    ],
)
def test_a_wrong_import_breaks_the_check(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    tree = _copy_tree(tmp_path)
    _add_import(tree, module, line)
    result = _lint(tree)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


@pytest.mark.slow
def test_mypy_fails_on_a_type_error(tmp_path: Path) -> None:
    """mypy (strict, the project's configuration) runs in make test and catches a wrong type."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from monitor.queries import EventRow\n\n\ndef count(row: EventRow) -> int:\n"
        "    return row.headline\n",
        encoding="utf-8",
    )
    good = tmp_path / "good.py"
    good.write_text(
        "from monitor.queries import EventRow\n\n\ndef count(row: EventRow) -> int:\n"
        "    return row.outlet_count\n",
        encoding="utf-8",
    )
    mypy = Path(sys.executable).with_name("mypy")
    config = ["--config-file", str(REPO / "pyproject.toml"), "--cache-dir", str(tmp_path / "c")]

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(mypy), *config, str(path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert run(good).returncode == 0
    failed = run(bad)
    assert failed.returncode != 0
    assert 'Incompatible return value type (got "str", expected "int")' in failed.stdout
