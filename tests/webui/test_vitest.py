"""The UI's component and unit tests (Vitest, in web/src/**/*.test.ts[x]) run as part of the
README's single test command: `npm ci` first when web/node_modules is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"


def test_vitest_suite_passes() -> None:
    npm = shutil.which("npm")
    if npm is None:
        if os.environ.get("CI"):
            pytest.fail("npm is not installed: CI must run the web UI's Vitest tests (Node 20+)")
        pytest.skip("npm is not installed (Node 20+ runs the web UI's Vitest tests)")
    if not (WEB / "node_modules" / ".bin" / "vitest").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True, timeout=600)
    done = subprocess.run(
        [npm, "exec", "--", "vitest", "run", "--reporter=dot"],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "true", "NO_COLOR": "1"},
    )
    assert done.returncode == 0, f"vitest failed:\n{done.stdout}\n{done.stderr}"
    assert " passed" in done.stdout, done.stdout
