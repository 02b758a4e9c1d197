"""The progress plugin in a real `dask scheduler` and `dask worker`, as the image runs it.

The scheduler is started with `--preload workshop_progress` and docker/ on its PYTHONPATH
(the image's /opt/dask-workshop), a client computes and persists, and the scheduler's own
log must carry the progress lines the portal reads: the figures a user would see change,
and no flood of lines however many tasks run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dask.array as da
import pytest
from distributed import Client

from workshop_progress import PREFIX, Progress, progress_line, worth_reporting

HERE = Path(__file__).resolve().parent
DASK = Path(sys.executable).with_name("dask")
PINS = "0123456789ab"
INTERVAL_S = 1.0
WAIT_S = 60.0


def progress_lines(log: Path) -> list[dict]:
    """Every progress line in the log, parsed (the part after the prefix)."""
    found = []
    for line in log.read_text().splitlines():
        at = line.find(PREFIX + " ")
        if at >= 0:
            found.append(json.loads(line[at + len(PREFIX) + 1:]))
    return found


def wait_for_line(log: Path, want, what: str) -> dict:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        lines = progress_lines(log)
        if lines and want(lines[-1]):
            return lines[-1]
        time.sleep(0.2)
    raise AssertionError(f"no progress line showing {what}; lines so far: {progress_lines(log)}")


def spawn(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([str(DASK), *args], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env)


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A scheduler with the plugin preloaded and two workers; yields its address and log."""
    run_dir = tmp_path_factory.mktemp("progress")
    env = {**os.environ, "PYTHONPATH": str(HERE), "DASK_WORKSHOP_PINS": PINS,
           "DASK_WORKSHOP_PROGRESS_INTERVAL": str(INTERVAL_S)}
    scheduler_file = run_dir / "scheduler.json"
    log = run_dir / "scheduler.log"
    procs = [spawn(["scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address",
                    "127.0.0.1:0", "--scheduler-file", str(scheduler_file),
                    "--preload", "workshop_progress"], log, env)]
    try:
        deadline = time.monotonic() + WAIT_S
        while not (scheduler_file.exists() and scheduler_file.stat().st_size):
            assert procs[0].poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written in one go, but give the writer its close
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(2):
            procs.append(spawn(["worker", address, "--name", f"w{i}", "--host", "127.0.0.1",
                                "--nthreads", "1", "--memory-limit", "1GiB", "--no-dashboard",
                                "--death-timeout", "30"], run_dir / f"worker-{i}.log", env))
        yield address, log
    finally:
        stop(procs)


def test_the_first_line_says_nothing_ran_yet_and_carries_the_pins(cluster: tuple[str, Path]) -> None:
    _, log = cluster
    first = wait_for_line(log, lambda _: True, "anything")
    assert progress_lines(log)[0] == {"v": 1, "tasks": 0, "bytes": 0, "workers": 0, "pins": PINS}
    assert first["pins"] == PINS


def test_lines_follow_a_persist_and_its_release(cluster: tuple[str, Path]) -> None:
    address, log = cluster
    wait_for_line(log, lambda p: p["workers"] == 2, "two workers")
    with Client(address, timeout="30s") as client:
        total = da.ones((2000, 2000), chunks=(500, 500)).sum().compute()
        assert total == 4_000_000
        computed = wait_for_line(log, lambda p: p["tasks"] > 0 and p["bytes"] == 0,
                                 "tasks computed and nothing held")
        # 16 chunks of 500 x 500 float64: 32 MB held on the workers after the persist.
        held = da.random.default_rng(0).random((2000, 2000), chunks=(500, 500)).persist()
        after = wait_for_line(log, lambda p: p["bytes"] >= 32_000_000, "the persisted array in memory")
        assert after["tasks"] >= computed["tasks"] + 16
        assert after["workers"] == 2
        client.cancel(held)
        wait_for_line(log, lambda p: p["bytes"] == 0 and p["tasks"] == after["tasks"],
                      "the memory released")


def test_many_tasks_make_few_lines(cluster: tuple[str, Path]) -> None:
    address, log = cluster
    before = len(progress_lines(log))
    started = time.monotonic()
    with Client(address, timeout="30s") as client:
        for _ in range(20):
            # 400 chunks: several hundred tasks per round, thousands in all.
            assert da.ones((4000, 4000), chunks=(200, 200)).sum().compute() == 16_000_000
        tasks_seen = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.plugins["workshop-progress"].tasks)
    elapsed = time.monotonic() - started
    new = progress_lines(log)[before:]
    assert tasks_seen > 5000
    # At most one line per interval (and one that may have been due as the loop began).
    assert 0 < len(new) <= elapsed / INTERVAL_S + 2
    wait_for_line(log, lambda p: p["tasks"] == tasks_seen, "every task counted")


def quiet_count(log: Path, quiet_s: float) -> int:
    """The number of progress lines once none has come for `quiet_s` (what earlier tests ran winds down first)."""
    deadline = time.monotonic() + WAIT_S
    count, since = len(progress_lines(log)), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = len(progress_lines(log))
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return count
    raise AssertionError(f"the cluster never went quiet: {len(progress_lines(log)) - count} lines in the last moment")


def test_an_idle_cluster_writes_nothing_more(cluster: tuple[str, Path]) -> None:
    _, log = cluster
    # The test before may end as its last results are released: one more line may follow it.
    settled = quiet_count(log, INTERVAL_S * 2)
    time.sleep(INTERVAL_S * 4)
    assert len(progress_lines(log)) == settled


def test_which_changes_are_news() -> None:
    last = Progress(tasks=10, bytes=1_000_000_000, workers=2)
    assert worth_reporting(None, last)
    assert not worth_reporting(last, last)
    assert not worth_reporting(last, Progress(10, 1_010_000_000, 2))  # 1 %: not news
    assert worth_reporting(last, Progress(10, 1_100_000_000, 2))  # 10 %
    assert worth_reporting(last, Progress(11, 1_000_000_000, 2))  # a task computed
    assert worth_reporting(last, Progress(10, 1_000_000_000, 3))  # a worker joined
    small = Progress(tasks=10, bytes=4096, workers=2)
    assert worth_reporting(small, Progress(10, 0, 2))  # released, however small
    assert not worth_reporting(small, Progress(10, 8192, 2))


def test_the_line_is_the_prefix_then_compact_json() -> None:
    line = progress_line(Progress(tasks=3, bytes=42, workers=1), None)
    assert line == 'dask-workshop-progress {"v":1,"tasks":3,"bytes":42,"workers":1,"pins":null}'
