"""Real processes for the fault tests: a private Redis to flush, kill and restart, and
``rufbereit worker`` subprocesses to start, signal and SIGKILL.

Never flush, restart or reconfigure the shared Redis: start a :class:`RedisServer` of your own.

    with RedisServer() as redis_server:
        env = worker_env(database_url, redis_server.url())
        worker = start_worker(env, log_path=tmp_path / "worker.log")
        ...
        worker.kill()           # SIGKILL the worker and its job processes, as a lost machine
        redis_server.restart()  # kill it and start it again, empty, on the same port
        ...
        worker.stop()

    web = start_web(env, log_path=tmp_path / "web.log")  # gunicorn -c gunicorn.conf.py
    web.wait_ready()                                     # GET /healthz answers
    ...                                                  # requests to web.url
    web.stop()

Only the standard library is used. :meth:`WorkerProcess.kill` and ``terminate(every_process=
True)`` find a worker's job processes through its session (each worker starts a new one) and
``/proc``, so they need Linux.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

__all__ = [
    "RedisServer",
    "WebProcess",
    "WorkerProcess",
    "free_port",
    "start_web",
    "start_worker",
    "worker_env",
]

ROOT = Path(__file__).resolve().parents[2]
#: The ``rufbereit`` entry point next to the running interpreter (the project's venv).
RUFBEREIT = str(Path(sys.executable).with_name("rufbereit"))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A ``redis-server`` of the test's own on 127.0.0.1: no persistence, so every start is
    empty. :meth:`start` returns once the server accepts connections."""

    READY = "Ready to accept connections"

    def __init__(self, port: int | None = None, binary: str = "redis-server") -> None:
        self.port = port or free_port()
        self.binary = shutil.which(binary) or binary
        self.process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._log: list[str] = []

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10.0) -> RedisServer:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"redis-server on port {self.port} is already running")
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, args=(self.process, self._ready), daemon=True).start()
        if not self._ready.wait(timeout):
            self.kill()
            raise RuntimeError(f"redis-server did not start within {timeout} s:\n{self.output()}")
        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited:\n{self.output()}")
        return self

    def _read(self, process: subprocess.Popen[str], ready: threading.Event) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._log.append(line)
            if self.READY in line:
                ready.set()
        ready.set()  # the server exited: let start() report it instead of waiting it out

    def output(self) -> str:
        return "".join(self._log)

    def kill(self) -> None:
        """SIGKILL, as a crash: everything in memory is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM and wait; SIGKILL if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self, timeout: float = 10.0) -> RedisServer:
        """Kill the server and start it again, empty, on the same port."""
        self.kill()
        return self.start(timeout)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def worker_env(database_url: str, redis_url: str, **settings: str | float) -> dict[str, str]:
    """The environment a ``rufbereit worker`` subprocess needs: this checkout importable,
    the given database (already migrated) and Redis, test settings, console telephony.
    ``settings`` adds or overrides variables (``SCHEDULER_TICK_SECONDS=0.2``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUFBEREIT_", "SCHEDULER_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        RUFBEREIT_ENV="testing",
        SECRET_KEY="test-secret",
        CALLER_HASH_SALT="test-salt",
        TELEPHONY_BACKEND="console",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in settings.items()})
    return env


def _session_members(session: int) -> list[int]:
    """Every live process of ``session`` (a worker and the job processes it forked, which
    move to process groups of their own but stay in the session); zombies are left out."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            state = stat[stat.rindex(")") + 2]
            if state not in "ZX" and os.getsid(int(entry)) == session:
                found.append(int(entry))
    return found


class WorkerProcess:
    """A worker subprocess in a session of its own (its id is the worker's pid)."""

    def __init__(self, popen: subprocess.Popen[bytes], log_path: Path | None) -> None:
        self.popen = popen
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        """What the worker logged so far (with ``log_path``)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def _signal_session(self, sig: signal.Signals) -> None:
        for pid in _session_members(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def kill(self) -> None:
        """SIGKILL the worker and every job process it started, as when its machine is lost:
        no handler runs, no lock is released."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.popen.wait()
        deadline = time.monotonic() + 10
        while members := _session_members(self.pid):  # the orphaned job processes
            if time.monotonic() > deadline:
                raise RuntimeError(f"processes {members} of worker {self.pid} survive SIGKILL")
            for pid in members:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def terminate(self, every_process: bool = False) -> None:
        """SIGTERM the worker, or (``every_process``) the worker and its job processes, as
        platforms that stop a whole container or cgroup do."""
        if every_process:
            self._signal_session(signal.SIGTERM)
        elif self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        """The exit code; raises :class:`subprocess.TimeoutExpired` if it is still running."""
        return self.popen.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, wait, and SIGKILL what is left (use at the end of every test)."""
        if self.popen.poll() is None:
            self.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        self.kill()

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_worker(
    env: Mapping[str, str],
    *args: str,
    command: Sequence[str] | None = None,
    log_path: Path | None = None,
) -> WorkerProcess:
    """Start ``rufbereit worker [args]`` (or ``command + args``) with ``env``, its output
    going to ``log_path`` (or nowhere)."""
    argv = [*(command or (RUFBEREIT, "worker")), *args]
    out = open(log_path, "ab") if log_path is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        popen = subprocess.Popen(
            argv,
            env=dict(env),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        if log_path is not None:
            out.close()  # type: ignore[union-attr]
    return WorkerProcess(popen, log_path)


class WebProcess(WorkerProcess):
    """A gunicorn web server (master and its workers) in a session of its own, serving the
    app on ``url``. :meth:`stop` and :meth:`kill` end the master and every worker."""

    def __init__(self, popen: subprocess.Popen[bytes], log_path: Path | None, port: int) -> None:
        super().__init__(popen, log_path)
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> WebProcess:
        """Return once ``GET /healthz`` gets an HTTP answer (healthy or not); raise if the
        server exits or does not answer in time."""
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.popen.returncode}):\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=timeout):
                    return self
            except urllib.error.HTTPError:
                return self  # it answers: 503 only says the database or Redis is down
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"gunicorn on port {self.port} not ready within {timeout} s:\n"
                        f"{self.output()}"
                    ) from None
                pause.wait(0.05)


def start_web(
    env: Mapping[str, str],
    *args: str,
    port: int | None = None,
    log_path: Path | None = None,
) -> WebProcess:
    """Start the ``web`` process as the Procfile does (``gunicorn -c gunicorn.conf.py
    'hotline:create_app()'``) on ``port`` (a free one by default), with ``env`` (its
    ``WEB_CONCURRENCY``, if any, sets the number of gunicorn workers). ``args`` go to
    gunicorn before the app (``--no-control-socket``)."""
    port = port or free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *args]
    worker = start_worker(
        {**env, "PORT": str(port)},
        "hotline:create_app()",
        command=command,
        log_path=log_path,
    )
    return WebProcess(worker.popen, log_path, port)
