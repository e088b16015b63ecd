"""The test harness itself: a `stackline serve` that fails to start is never left running."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e import server as harness
from tests.e2e.server import Server


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def group_members(pgid: int) -> list[int]:
    """The live processes of group `pgid`, read from /proc (so a leader already gone still lets
    its children be found)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                members.append(int(entry))
    return members


def test_a_start_that_times_out_leaves_no_process_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "START_TIMEOUT", 0.3)  # far too short for any cold start
    server = Server(tmp_path / "data")
    with pytest.raises(RuntimeError, match="did not become healthy"):
        server.start()
    assert server.process is not None
    pid = server.process.pid
    assert not running(pid)
    assert group_members(pid) == []  # it ran in a group of its own, now empty


def test_ctrl_c_while_waiting_for_start_up_kills_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # as if Ctrl-C landed while polling /healthz

    monkeypatch.setattr(harness.httpx, "get", interrupted)
    server = Server(tmp_path / "data")
    with pytest.raises(KeyboardInterrupt):
        server.start()
    assert server.process is not None
    assert not running(server.process.pid)
    assert group_members(server.process.pid) == []


def test_a_server_that_exits_fails_the_start_at_once_with_its_log(tmp_path: Path) -> None:
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="STACKLINE_EVENTSTORE_URL"):
        Server(tmp_path / "data", env={"STACKLINE_EVENTSTORE_URL": "nosuch://x"}).start()
    assert time.monotonic() - began < 60  # not the whole start-up deadline


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    pid = server.process.pid if server.process else 0
    assert group_members(pid) == [pid]
    server.stop()
    assert group_members(pid) == []


def test_a_modules_shared_fixture_runs_on_one_worker_per_parameter() -> None:
    """`--dist loadgroup` with the groups of tests/conftest.py keeps the tests of one module-scoped
    fixture parameter (a module's `stackline serve` on one backend, say) on one worker, so the
    fixture is set up once. pytest 9.2 with pytest-xdist 3.8 silently spread them over every worker
    (pytest-dev/pytest-xdist#1386), and each worker then started its own server."""
    sample = Path(__file__).with_name("grouping_sample.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(sample), "-n", "3", "-v", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workers: dict[str, set[str]] = {}
    for line in done.stdout.splitlines():
        found = re.match(r"\[(gw\d+)\] .*PASSED \S+::test_case\[(first|second)-\d\]", line)
        if found:
            workers.setdefault(found[2], set()).add(found[1])
    assert set(workers) == {"first", "second"}, done.stdout
    assert all(len(ran_on) == 1 for ran_on in workers.values()), workers
