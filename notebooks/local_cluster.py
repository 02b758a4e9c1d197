"""Start and stop a real Dask cluster on loopback, the way the local provider does.

One `dask scheduler` and N `dask worker` processes (see DASK below for which environment),
each in its own process group so stopping them also stops what they spawned
(the nanny's worker process), and nothing else. Used by the notebook tests and
the analysis benchmark.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from distributed import Client

# The cluster runs from the environment named by DASK_CLUSTER_VENV when it is set
# (`make test-python` points it at .venv-worker, built from docker/requirements.txt
# alone, i.e. exactly what the image carries), else from the current one.
DASK = (
    Path(os.environ["DASK_CLUSTER_VENV"]).resolve() / "bin" / "dask"
    if os.environ.get("DASK_CLUSTER_VENV")
    else Path(sys.executable).with_name("dask")
)
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class LocalCluster:
    address: str
    dashboard_port: int
    log_dir: Path


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [str(DASK), *args], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
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


def _read_scheduler_file(path: Path, scheduler: subprocess.Popen) -> dict:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"dask scheduler exited during start-up, see {path.parent}")
        if path.exists() and path.stat().st_size:
            try:
                return json.loads(path.read_text())
            except json.JSONDecodeError:
                pass  # still being written
        time.sleep(0.2)
    raise TimeoutError(f"no scheduler file at {path} after {START_TIMEOUT_S} s")


@contextmanager
def local_cluster(
    run_dir: Path, workers: int = 2, threads: int = 1, memory_limit: str = "1GiB"
) -> Iterator[LocalCluster]:
    """Run a scheduler and ``workers`` workers until the block exits; logs go to run_dir."""
    run_dir.mkdir(parents=True, exist_ok=True)
    scheduler_file = run_dir / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    procs = [
        _spawn(
            ["scheduler", "--host", "127.0.0.1", "--port", "0",
             "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)],
            run_dir / "scheduler.log",
        )
    ]
    try:
        info = _read_scheduler_file(scheduler_file, procs[0])
        for i in range(workers):
            procs.append(
                _spawn(
                    ["worker", "--scheduler-file", str(scheduler_file), "--name", f"w{i}",
                     "--host", "127.0.0.1", "--nthreads", str(threads),
                     "--memory-limit", memory_limit, "--no-dashboard", "--death-timeout", "30"],
                    run_dir / f"worker-{i}.log",
                )
            )
        with Client(info["address"], timeout="30s") as client:
            client.wait_for_workers(workers, timeout=START_TIMEOUT_S)
        yield LocalCluster(info["address"], info["services"]["dashboard"], run_dir)
    finally:
        _stop(procs)
