"""Fixtures for the notebook tests: a real local Dask cluster and sample data.

The cluster is what the portal's local provider runs: one `dask scheduler` and two
`dask worker` processes from .venv on loopback, each in its own process group so
teardown stops them and everything they spawned, and nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from distributed import Client

import generate_sample_data as gen

REPO = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")
WORKERS = 2
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class LocalCluster:
    address: str
    dashboard_port: int
    log_dir: Path


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [str(DASK), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_for_file(path: Path, procs: list[subprocess.Popen]) -> dict:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("dask scheduler exited during start-up")
        if path.exists() and path.stat().st_size:
            try:
                return json.loads(path.read_text())
            except json.JSONDecodeError:
                pass  # still being written
        time.sleep(0.2)
    raise TimeoutError(f"no scheduler file at {path} after {START_TIMEOUT_S} s")


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    run = tmp_path_factory.mktemp("dask")
    scheduler_file = run / "scheduler.json"
    procs = [
        _spawn(
            ["scheduler", "--host", "127.0.0.1", "--port", "0",
             "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)],
            run / "scheduler.log",
        )
    ]
    try:
        info = _wait_for_file(scheduler_file, procs)
        for i in range(WORKERS):
            procs.append(
                _spawn(
                    ["worker", "--scheduler-file", str(scheduler_file), "--name", f"w{i}",
                     "--host", "127.0.0.1", "--nthreads", "1", "--memory-limit", "1GiB",
                     "--no-dashboard", "--death-timeout", "30"],
                    run / f"worker-{i}.log",
                )
            )
        with Client(info["address"], timeout="30s") as client:
            client.wait_for_workers(WORKERS, timeout=START_TIMEOUT_S)
        yield LocalCluster(info["address"], info["services"]["dashboard"], run)
    finally:
        _stop(procs)


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default (small) preset, as `make sample-data` writes it."""
    base = tmp_path_factory.mktemp("era5")
    preset = gen.PRESETS["small"]
    gen.generate(base, list(preset.years), list(preset.months), preset.resolution,
                 seed=2021, log=lambda _msg: None)
    return base


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Executed notebooks and their figures, kept after the run for people to look at."""
    path = REPO / "test-results" / "notebook"
    path.mkdir(parents=True, exist_ok=True)
    return path
