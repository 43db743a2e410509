"""Shared fixtures: the CLI binary the Python results are compared with, and the tables."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import wlgp

ROOT = Path(__file__).resolve().parents[2]


def cli_path() -> Path:
    """The `wlgp` binary: $WLGP_BIN, else the checkout's release build (built if missing)."""
    env = os.environ.get("WLGP_BIN")
    if env:
        return Path(env)
    path = ROOT / "target" / "release" / "wlgp"
    if not path.exists():
        subprocess.run(["cargo", "build", "--release", "--bin", "wlgp"], cwd=ROOT, check=True)
    return path


@pytest.fixture(scope="session")
def cli() -> Path:
    return cli_path()


def run_cli(cli: Path, args: list[str], stdin: str = "") -> str:
    r = subprocess.run([str(cli), *args], check=False, input=stdin, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="session")
def nb201() -> wlgp.data.Table:
    return wlgp.data.table("nb201")
