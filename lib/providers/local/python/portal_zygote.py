"""Starts an environment's ``dask scheduler`` and ``dask worker`` tasks from one warm interpreter.

The local provider runs this once per environment, the way it runs the tasks themselves: in the
environment's control group, network namespace and sandbox. It imports Dask, distributed and
NumPy once (most of a task's start-up on a busy machine), then listens on a Unix socket. For each
request it forks a child that becomes the task:

- in a session and process group of its own, so the portal signals the task's group as before;
- with stdin from /dev/null and stdout and stderr appended to the task's log file;
- running the same command line ``dask scheduler`` or ``dask worker`` would, with the extra
  environment variables the request gives (the scheduler's plugin path and dashboard socket).

It answers each request with the child's pid (as this sandbox numbers it; the portal finds the
host's number) and, once the child has exited, writes its exit code or signal to the file the
request names, since the portal is not the child's parent and cannot wait for it.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import importlib
import json
import logging
import os
import signal
import socket
import sys
import traceback
from typing import Any

import dask
import numpy  # noqa: F401  (the workers' tasks use it: imported once here, not in every worker)
from distributed.cli import dask_scheduler, dask_worker

COMMANDS = {"scheduler": dask_scheduler.main, "worker": dask_worker.main}
# What the tasks import once they start: the HTTP routes each serves and the scheduler's dashboard
# (Bokeh), which on their own take as long as the imports above.
WARM_MODULES = [
    "distributed.dashboard.scheduler",
    "distributed.diagnostics.websocket",
    *dask.config.get("distributed.scheduler.http.routes"),
    *dask.config.get("distributed.worker.http.routes"),
]
REQUEST_LIMIT = 1 << 20

# Child pid -> the file its exit is written to.
children: dict[int, str] = {}


def write_exit(path: str, status: int) -> None:
    if os.WIFSIGNALED(status):
        exit = {"code": None, "signal": signal.Signals(os.WTERMSIG(status)).name}
    else:
        exit = {"code": os.waitstatus_to_exitcode(status), "signal": None}
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(exit, out)
    os.replace(tmp, path)


def reap(_signum: int = 0, _frame: Any = None) -> None:
    """Collects every child that has exited and writes down how."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        path = children.pop(pid, None)
        if path:
            try:
                write_exit(path, status)
            except OSError as err:
                print(f"zygote: could not record the exit of {pid}: {err}", file=sys.stderr)


def retitle(words: list[str]) -> None:
    """Shows the task's command line in ``ps`` and ``/proc/<pid>/cmdline`` instead of the zygote's.

    Written over the memory the kernel reads the command line from (this process's own, as
    setproctitle does), so it fits in the zygote's command line: as many words as fit.
    """
    try:
        with open("/proc/self/stat", encoding="utf-8") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        # arg_start and arg_end are the stat file's fields 48 and 49 (the first after the name is 3).
        start, end = int(fields[45]), int(fields[46])
    except (OSError, IndexError, ValueError):
        return
    title = b""
    for word in words:
        encoded = word.encode() + b"\0"
        if len(title) + len(encoded) > end - start:
            break
        title += encoded
    ctypes.memmove(start, title.ljust(end - start, b"\0"), end - start)


def become_task(request: dict[str, Any]) -> int:
    """In the forked child: turns this warm interpreter into the requested task; returns its exit code."""
    os.setsid()
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.chdir(request["cwd"])
    env: dict[str, str] = request.get("env") or {}
    os.environ.update(env)
    for entry in reversed(env.get("PYTHONPATH", "").split(":")):
        if entry:
            sys.path.insert(0, entry)
    # Dask read its DASK_* variables when it was imported here; the task's own count too.
    dask.config.refresh()
    role = request["role"]
    args = [str(a) for a in request["args"]]
    sys.argv = ["dask", role, *args]
    # The worker's name first: the rest may not fit.
    named = args.index("--name") if "--name" in args[:-1] else -1
    shown = args[named : named + 2] + args[:named] + args[named + 2 :] if named >= 0 else args
    retitle(["dask", role, *shown])
    try:
        COMMANDS[role].main(args=args, prog_name=f"dask {role}")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001  (whatever it was, the log says so and the task exits non-zero)
        traceback.print_exc()
        return 1
    return 0


def serve(listener: socket.socket, conn: socket.socket) -> None:
    data = b""
    while not data.endswith(b"\n") and len(data) < REQUEST_LIMIT:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    request = json.loads(data)
    if request.get("role") not in COMMANDS:
        raise ValueError(f"unknown role {request.get('role')!r}")
    for path in (request["exit"], f"{request['exit']}.tmp"):
        if os.path.exists(path):
            os.unlink(path)
    sys.stdout.flush()
    sys.stderr.flush()
    # Held until the child is in `children`, so its exit is never reaped unrecorded.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                listener.close()
                conn.close()
                code = become_task(request)
            finally:
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
                # Skips the interpreter's slow teardown: the task has closed and logged it.
                os._exit(code)
        children[pid] = request["exit"]
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="the Unix socket the portal sends requests to")
    options = parser.parse_args()
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as err:
            print(f"zygote: {name} not imported ahead: {err}", file=sys.stderr)
    # What is imported stays out of the collector's way: the children's pages stay shared.
    gc.freeze()
    signal.signal(signal.SIGCHLD, reap)
    if os.path.exists(options.socket):
        os.unlink(options.socket)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(options.socket)
    finally:
        os.umask(old_umask)
    listener.listen(16)
    print(f"zygote: ready on {options.socket}", flush=True)
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                serve(listener, conn)
            except Exception as err:  # noqa: BLE001  (one bad request must not end the environment's tasks)
                print(f"zygote: request refused: {err}", file=sys.stderr, flush=True)
                try:
                    conn.sendall(json.dumps({"error": str(err)}).encode() + b"\n")
                except OSError:
                    pass


if __name__ == "__main__":
    main()
