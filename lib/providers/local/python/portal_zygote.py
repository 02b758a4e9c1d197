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

Run with ``--seed`` it is the room's seed instead: one warm interpreter for every environment,
started by the portal as root outside any sandbox. The portal starts each environment's sandbox
with nothing but a holder process in it (``sleep infinity``) and asks the seed to plant a
zygote there: the seed forks, the child joins the environment's control group, enters the
holder's namespaces (network, IPC, UTS, cgroup, PID, mount, and last its user namespace), gives
up every capability, and forks the zygote, which is then inside the sandbox as if bubblewrap
had started it, with Dask already imported. A room's zygotes then cost one import, not one each.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import importlib
import json
import logging
import os
import select
import signal
import socket
import stat
import sys
import time
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


def _stat_range(first: int) -> tuple[int, int] | None:
    """Two adjacent address fields of /proc/self/stat, numbered as proc(5) numbers them."""
    try:
        with open("/proc/self/stat", encoding="utf-8") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        # The first field after the name is field 3.
        return int(fields[first - 3]), int(fields[first - 2])
    except (OSError, IndexError, ValueError):
        return None


def _write_over(span: tuple[int, int] | None, words: list[str]) -> None:
    """Writes NUL-ended words over a span of this process's memory: as many as fit, the rest NULs."""
    if span is None:
        return
    start, end = span
    written = b""
    for word in words:
        encoded = word.encode() + b"\0"
        if len(written) + len(encoded) > end - start:
            break
        written += encoded
    ctypes.memmove(start, written.ljust(end - start, b"\0"), end - start)


def retitle(words: list[str]) -> None:
    """Shows the task's command line in ``ps`` and ``/proc/<pid>/cmdline`` instead of the zygote's.

    Written over the memory the kernel reads the command line from (this process's own, as
    setproctitle does, arg_start and arg_end being fields 48 and 49), so it fits in the zygote's
    command line: as many words as fit.
    """
    _write_over(_stat_range(48), words)


def show_environment(env: dict[str, str]) -> None:
    """Makes ``/proc/<pid>/environ`` show ``env`` (env_start and env_end, fields 50 and 51).

    A zygote planted by the seed was not started with its environment's variables, yet the
    portal tells an environment's processes by them (its markers): they are written over the
    block the seed was started with, which the portal pads so that they fit. Only called once
    os.environ no longer points into that block.
    """
    # The portal's markers first: should the block be too small, they are what must fit.
    ordered = sorted(env.items(), key=lambda item: not item[0].startswith("PORTAL_"))
    _write_over(_stat_range(50), [f"{key}={value}" for key, value in ordered])


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


def serve(listener: socket.socket, conn: socket.socket) -> dict[str, Any]:
    request = read_request(conn)
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
    return {"pid": pid}


def warm() -> None:
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as err:
            print(f"zygote: {name} not imported ahead: {err}", file=sys.stderr)
    # What is imported stays out of the collector's way: the children's pages stay shared.
    gc.freeze()


def listen(path: str) -> socket.socket:
    """A Unix socket only this process's user may connect to (0600), made afresh at `path`."""
    if os.path.lexists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old_umask)
    # A room's environments ask the seed at once; a full queue makes them wait and ask again.
    listener.listen(128)
    return listener


def read_request(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n") and len(data) < REQUEST_LIMIT:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    request = json.loads(data)
    if not isinstance(request, dict):
        raise ValueError("a request is a JSON object")
    return request


def answer(conn: socket.socket, handle: Any, who: str) -> None:
    """Answers one connection with what `handle` returns, or with the error it raised."""
    with conn:
        try:
            reply = handle(conn)
        except Exception as err:  # noqa: BLE001  (one bad request must not end the others' service)
            print(f"{who}: request refused: {err}", file=sys.stderr, flush=True)
            reply = {"error": str(err)}
        try:
            conn.sendall(json.dumps(reply).encode() + b"\n")
        except OSError:
            pass


def serve_tasks(socket_path: str) -> None:
    """The zygote's loop: one task forked per request on `socket_path`, each exit written down."""
    signal.signal(signal.SIGCHLD, reap)
    listener = listen(socket_path)
    print(f"zygote: ready on {socket_path}", flush=True)
    while True:
        conn, _ = listener.accept()
        answer(conn, lambda c: serve(listener, c), "zygote")


# The room's seed (--seed): plants an environment's zygote in the sandbox its holder runs in.

libc = ctypes.CDLL(None, use_errno=True)
# The namespaces a holder's zygote enters, in this order, with their CLONE_NEW* flags: all but
# the user namespace while this process still has the host's capabilities (the network
# namespace is the host's, made by `ip netns`), then the user namespace, which drops them.
NAMESPACES = [
    ("net", 0x40000000),
    ("ipc", 0x08000000),
    ("uts", 0x04000000),
    ("cgroup", 0x02000000),
    ("pid", 0x20000000),
    ("mnt", 0x00020000),
    ("user", 0x10000000),
]
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
# What a planted zygote says once the portal can know it (its environment shown), and how long
# the seed, which plants one zygote at a time, waits for that before it gives up on it.
READY = b"ready"
PLANT_SECONDS = 20.0


def _checked(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def give_up_privileges() -> None:
    """Every capability gone for good (bounding, ambient, effective, permitted) and none to be gained by exec."""
    with open("/proc/sys/kernel/cap_last_cap", encoding="utf-8") as last:
        last_cap = int(last.read())
    for cap in range(last_cap + 1):
        _checked(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"dropping capability {cap}")
    _checked(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing ambient capabilities")
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _checked(libc.capset(ctypes.byref(header), data), "dropping capabilities")
    _checked(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "setting no_new_privs")


def holder_namespaces(holder: int) -> tuple[dict[str, int], int]:
    """The holder's namespaces and root, opened; refused unless it is in a sandbox of its own."""
    with open(f"/proc/{holder}/comm", encoding="utf-8") as comm:
        if comm.read().strip() != "sleep":
            raise ValueError(f"process {holder} is not a sandbox's holder")
    # A holder in this process's own user, mount or PID namespace (its pid reused, its sandbox
    # never made) would give the zygote the host with the seed's privileges.
    for kind in ("user", "mnt", "pid"):
        if os.readlink(f"/proc/{holder}/ns/{kind}") == os.readlink(f"/proc/self/ns/{kind}"):
            raise ValueError(f"process {holder} shares the seed's {kind} namespace: it is in no sandbox")
    fds: dict[str, int] = {}
    try:
        for kind, _flag in NAMESPACES:
            fds[kind] = os.open(f"/proc/{holder}/ns/{kind}", os.O_RDONLY | os.O_CLOEXEC)
        root = os.open(f"/proc/{holder}/root", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except BaseException:
        for fd in fds.values():
            os.close(fd)
        raise
    return fds, root


def enter_sandbox(fds: dict[str, int], root: int, groups: list[str]) -> None:
    """In the seed's child: joins the environment's groups and the holder's namespaces, then gives up every privilege."""
    for procs in groups:
        with open(procs, "w", encoding="utf-8") as out:
            out.write(str(os.getpid()))
    os.setgroups([])
    for kind, flag in NAMESPACES:
        if kind == "user":
            # The mount namespace's root is where bubblewrap pivoted to; entered as the holder sees it.
            os.fchdir(root)
            os.chroot(".")
        _checked(libc.setns(fds[kind], flag), f"entering the holder's {kind} namespace")
    give_up_privileges()


def become_zygote(request: dict[str, Any], inherited: list[socket.socket], ready: int) -> None:
    """
    In the sandbox, the planted zygote's start: its own session, log and environment, then its
    loop. It says so on `ready` once its environment shows, before it serves: the portal knows it
    by its markers from the moment the seed answers.
    """
    os.setsid()
    for sock in inherited:
        sock.detach()  # closed below with every other descriptor the seed held; never closed twice
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    # Not blocked by what the sandbox could put there instead (a FIFO): a plain file or nothing.
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    if not stat.S_ISREG(os.fstat(log).st_mode):
        raise ValueError(f"{request['log']} is not a plain file")
    os.set_blocking(log, True)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.closerange(3, ready)
    os.closerange(ready + 1, 1 << 20)
    os.chdir(request["cwd"])
    env = {str(k): str(v) for k, v in (request.get("env") or {}).items()}
    os.environ.clear()
    os.environ.update(env)
    show_environment(env)
    retitle([sys.executable, os.path.abspath(__file__), "--socket", request["socket"]])
    # Dask looked for its configuration under the seed's HOME; it looks under this environment's.
    get_paths = getattr(dask.config, "_get_paths", None)
    if get_paths is not None:
        dask.config.paths[:] = get_paths()
    dask.config.refresh()
    os.write(ready, READY)
    os.close(ready)
    serve_tasks(request["socket"])


def plant(listener: socket.socket, conn: socket.socket) -> dict[str, Any]:
    """Plants a zygote in the holder's sandbox; answers with its pid on this machine."""
    request = read_request(conn)
    holder = request.get("holder")
    if not isinstance(holder, int) or holder <= 1:
        raise ValueError("the request names no holder")
    for key in ("socket", "log", "cwd"):
        if not isinstance(request.get(key), str) or not os.path.isabs(request[key]):
            raise ValueError(f"the request's {key} is not an absolute path")
    groups = [str(g) for g in request.get("groups") or []]
    fds, root = holder_namespaces(holder)
    try:
        reader, writer = os.pipe()
    except OSError:
        for fd in [*fds.values(), root]:
            os.close(fd)
        raise
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        child = os.fork()
        if child == 0:
            code = 70
            try:
                os.close(reader)
                enter_sandbox(fds, root, groups)
                started, ready = os.pipe()
                zygote = os.fork()
                if zygote == 0:
                    try:
                        os.close(started)
                        become_zygote(request, [listener, conn], ready)
                    except BaseException:  # noqa: BLE001  (its log says why; the portal sees it gone)
                        traceback.print_exc()
                    finally:
                        os._exit(71)
                os.close(ready)
                # Its end closes once it has said so, or once it has failed.
                said = b""
                while chunk := os.read(started, 64):
                    said += chunk
                if said != READY:
                    raise RuntimeError("it ended as it started (zygote.log or the seed's own log says why)")
                os.write(writer, json.dumps({"pid": zygote}).encode())
                code = 0
            except BaseException as err:  # noqa: BLE001  (said to the seed, which tells the portal)
                try:
                    os.write(writer, json.dumps({"error": f"could not plant the zygote: {err}"}).encode())
                except OSError:
                    pass
            finally:
                os._exit(code)
    except BaseException:
        os.close(reader)
        raise
    finally:
        for fd in [*fds.values(), root, writer]:
            os.close(fd)
    said = b""
    deadline = time.monotonic() + PLANT_SECONDS
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([reader], [], [], left)[0]:
                os.kill(child, signal.SIGKILL)
                said = json.dumps({"error": f"the zygote was not started in {PLANT_SECONDS:.0f} s"}).encode()
                break
            chunk = os.read(reader, 4096)
            if not chunk:
                break
            said += chunk
    finally:
        os.close(reader)
        os.waitpid(child, 0)
    reply = json.loads(said or b'{"error": "the planting child said nothing"}')
    if "error" in reply:
        raise RuntimeError(reply["error"])
    return {"pid": int(reply["pid"])}


def reap_planted() -> None:
    """Collects the planted zygotes that have exited (the seed is their reaper: see serve_seed)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve_seed(socket_path: str) -> None:
    """The seed's loop: plants zygotes until the portal that started it closes its stdin."""
    # A planted zygote's parent exits once it has forked it: the zygote then comes to the seed,
    # which collects it when it ends, rather than to the machine's init, which may not.
    _checked(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "becoming the planted zygotes' reaper")
    listener = listen(socket_path)
    print(f"seed: ready on {socket_path}", flush=True)
    while True:
        readable, _, _ = select.select([listener, 0], [], [], 5.0)
        if 0 in readable and not os.read(0, 4096):
            return  # the portal has gone; the zygotes planted live on in their sandboxes
        if listener in readable:
            conn, _ = listener.accept()
            answer(conn, lambda c: plant(listener, c), "seed")
        reap_planted()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--socket", help="the Unix socket the portal sends task requests to")
    mode.add_argument("--seed", help="run as the room's seed, planting zygotes on requests to this Unix socket")
    options = parser.parse_args()
    warm()
    if options.seed:
        serve_seed(options.seed)
    else:
        serve_tasks(options.socket)


if __name__ == "__main__":
    main()
