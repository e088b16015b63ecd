"""The built wheel is enough to run stackline: its read-model migrations travel inside the
package, so `stackline migrate` (and every `serve`, which migrates at start-up) works from an
installed wheel, not only from a checkout."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stackline_migrate_runs_from_the_wheel_alone(tmp_path: Path) -> None:
    subprocess.run(["uv", "build", "--wheel", "-q", "-o", str(tmp_path)], cwd=ROOT, check=True, timeout=180)
    (wheel,) = tmp_path.glob("*.whl")
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    assert (installed / "stackline" / "migrations" / "env.py").exists()

    # The wheel's own files first on the path, run from a directory without a checkout.
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env = {k: v for k, v in env.items() if not k.startswith("STACKLINE_")}
    done = subprocess.run(
        [sys.executable, "-P", "-m", "stackline.entrypoints.cli", "migrate", "--data-dir", str(data)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    check = subprocess.run(
        [sys.executable, "-P", "-c", "import stackline, sys; sys.stdout.write(stackline.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.startswith(str(installed)), check.stdout  # the wheel's code, not the checkout's
    tables = {
        name
        for (name,) in sqlite3.connect(data / "readmodels.sqlite3").execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    assert {"alembic_version", "issues", "projects"} <= tables, tables
