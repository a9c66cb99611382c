"""Warm start: ``python -m harness`` stages forked from a server that has done the imports once.

    python -m harness.warm <command> [arguments ...]   # same arguments, output and exit status as
                                                     # python -m harness <command> [arguments ...]

Every torch stage of the pipeline spends seconds importing torch, mmengine and mmdet's model registry
before it computes anything, and a local run has over a hundred such jobs (docs/results.md#time-measurements).
The first call starts a server in the background (a session of its own) that imports them once and then
forks one child per call. The child takes the caller's working directory, environment, arguments and
standard input, output and error (passed over a Unix socket), sets torch's thread count as a fresh process
would, runs the command exactly as ``python -m harness`` does and sends back its exit status. The caller
forwards SIGINT and SIGTERM to the child, and the child stops when the caller goes away (Snakemake killing a
job). The server's socket is named after the interpreter and the harness sources (an edited source file
starts a new server; the old one stops after ``HARNESS_WARM_IDLE_SECONDS``, default 60, without a call),
in ``HARNESS_WARM_DIR`` (default: the temporary directory).

``HARNESS_WARM=0`` runs the command in the calling process instead; so does any failure to reach a server
(it never changes what a command computes, only where it starts).
"""

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IDLE_SECONDS = float(os.environ.get("HARNESS_WARM_IDLE_SECONDS", 60))  # a server with no call and no running
# child for this long exits
STARTUP_SECONDS = 120  # how long a caller waits for a server that is still importing
# What the server imports once (the children find them in sys.modules).
PRELOAD = ("numpy", "pandas", "torch", "torchvision", "mmengine.runner", "harness.cli", "harness.engine.mm_config",
           "harness.engine.checkpoints", "harness.engine.predict", "harness.models", "harness.models.train_hooks",
           "harness.eval.ap")
# Variables a fresh process's thread pools read when they load; the server imports without them.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_HEADER = struct.Struct("!I")  # the length of the request (JSON) that follows the descriptors


def socket_path() -> Path:
    """The server's socket: one per interpreter and version of the harness sources."""
    digest = hashlib.sha256(sys.executable.encode())
    for source in sorted(Path(__file__).parent.rglob("*.py")):
        stat = source.stat()
        digest.update(f"{source}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    folder = Path(os.environ.get("HARNESS_WARM_DIR") or tempfile.gettempdir())
    return folder / f"harness-warm-{os.getuid()}-{digest.hexdigest()[:16]}.sock"


# ---- the caller ------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """Run ``python -m harness argv`` in a warm child, or here when no server can be had."""
    if os.environ.get("HARNESS_WARM", "1") == "0":
        return run_here(argv)
    path = socket_path()
    connection = connect(path)
    if connection is None:
        return run_here(argv)
    with connection:
        return call(connection, argv)


def run_here(argv: list[str]) -> int:
    """The plain ``python -m harness`` in this process."""
    from harness.cli import main as harness_main

    return harness_main(argv)


def connect(path: Path) -> socket.socket | None:
    """A connection to the server at ``path``, starting one if none runs; None if none comes up."""
    started = None
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(str(path))
            return connection
        except OSError:
            connection.close()
        if not _server_alive(path):
            if started is None:
                started = _start_server(path)
            elif started.poll() is not None:  # the server this caller started has gone: it could not start
                return None
        time.sleep(0.05)
    return None


def _server_alive(path: Path) -> bool:
    """Whether a server holds the lock of ``path`` (it takes it before importing anything)."""
    with open(_lock_path(path), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False


def _lock_path(path: Path) -> Path:
    return path.with_suffix(".lock")


def _start_server(path: Path) -> subprocess.Popen:
    """A detached server process (own session, no terminal, log beside the socket)."""
    log = open(path.with_suffix(".log"), "ab")
    with log:
        return subprocess.Popen([sys.executable, "-m", "harness.warm", "--serve", str(path)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                env=_server_environment())


def _server_environment() -> dict[str, str]:
    """This environment without the thread-count variables (each child sets its own)."""
    return {key: value for key, value in os.environ.items() if key not in THREAD_VARIABLES}


def call(connection: socket.socket, argv: list[str]) -> int:
    """Send the request and this process's stdin/stdout/stderr; wait for the child's exit status."""
    request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    socket.send_fds(connection, [_HEADER.pack(len(request))], _standard_descriptors())
    connection.sendall(request)
    replies = connection.makefile("r")
    child = int(replies.readline() or 0)
    if not child:
        return run_here_after_failure("the warm server did not start the command", argv)
    forward = lambda signum, _frame: _signal_child(child, signum)  # noqa: E731
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    status = replies.readline()
    if not status:
        print(f"error: the warm child {child} of `python -m harness {' '.join(argv[:1])}` ended without an "
              "exit status (killed?)", file=sys.stderr)
        return 1
    return int(status)


def _standard_descriptors() -> list[int]:
    """Descriptors 0, 1 and 2, each replaced by /dev/null where this process has it closed."""
    descriptors = []
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
            descriptors.append(descriptor)
        except OSError:
            descriptors.append(os.open(os.devnull, os.O_RDWR))
    return descriptors


def run_here_after_failure(reason: str, argv: list[str]) -> int:
    print(f"harness.warm: {reason}; running it in this process", file=sys.stderr)
    return run_here(argv)


def _signal_child(child: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signum)


# ---- the server ------------------------------------------------------------------------------------


def serve(path: Path) -> int:
    """Import ``PRELOAD``, then fork a child per connection until idle for ``IDLE_SECONDS``."""
    lock = open(_lock_path(path), "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another server has the socket
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")  # who serves (for stopping it by hand)
    lock.flush()
    default_threads = preload()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))  # leave no socket behind
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(128)
    listener.settimeout(IDLE_SECONDS)
    children: set[int] = set()
    try:
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                if not _reap(children):
                    return 0
                continue
            pid = os.fork()
            if pid == 0:
                listener.close()
                lock.close()
                run_child(connection, default_threads)  # never returns
            connection.close()
            children.add(pid)
            _reap(children)
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def preload() -> int:
    """Import the heavy modules once; return torch's default thread count (a fresh process's)."""
    import importlib

    from harness.engine.deferred_imports import defer_unused_imports

    defer_unused_imports()
    for name in PRELOAD:
        importlib.import_module(name)
    from mmdet.utils import register_all_modules

    register_all_modules(init_default_scope=False)  # imports every mmdet registry module; a stage sets the scope
    import torch

    return torch.get_num_threads()


def _reap(children: set[int]) -> set[int]:
    """Collect finished children; return those still running."""
    for pid in list(children):
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if not done:
                continue
        children.discard(pid)
    return children


def run_child(connection: socket.socket, default_threads: int) -> None:
    """In the forked child: become the caller's process, run the command, report, exit."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a fresh process's disposition, not the server's
    code = 1
    try:
        argv = _take_over(connection, default_threads)
        connection.sendall(f"{os.getpid()}\n".encode())
        _stop_with_the_caller(connection)
        code = _run_command(argv)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        with contextlib.suppress(OSError):
            connection.sendall(f"{code}\n".encode())
        os._exit(code)


def _take_over(connection: socket.socket, default_threads: int) -> list[str]:
    """Receive the request; take the caller's descriptors, directory, environment and thread count."""
    header, descriptors, _flags, _address = socket.recv_fds(connection, _HEADER.size, 3)
    (length,) = _HEADER.unpack(header)
    body = b""
    while len(body) < length:
        body += connection.recv(length - len(body))
    request = json.loads(body)
    for target, descriptor in zip((0, 1, 2), descriptors):
        os.dup2(descriptor, target)
        os.close(descriptor)
    sys.stdout.reconfigure(line_buffering=os.isatty(1))  # as a fresh process buffers them
    sys.stderr.reconfigure(line_buffering=True)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or default_threads))
    return request["argv"]


def _stop_with_the_caller(connection: socket.socket) -> None:
    """A thread that sends SIGTERM to this child when the caller's end of the connection closes."""
    import threading

    def watch() -> None:
        with contextlib.suppress(OSError):
            while connection.recv(1):
                pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


def _run_command(argv: list[str]) -> int:
    """``python -m harness argv``'s exit status, an uncaught exception printed as Python would."""
    sys.argv = [sys.argv[0], *argv]
    try:
        return int(run_here(argv) or 0)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else _print(stop.code))
    except BaseException:  # noqa: BLE001 - the command's own failure, reported as a fresh process would
        import traceback

        traceback.print_exc()
        return 1


def _print(message: object) -> int:
    print(message, file=sys.stderr)
    return 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        raise SystemExit(serve(Path(sys.argv[2])))
    raise SystemExit(main(sys.argv[1:]))
