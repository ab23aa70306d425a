"""A TCP proxy that the fault tests put in front of PostgreSQL and Redis.

The application under test connects to the proxy instead of the real server, and the test
switches the proxy between modes to simulate network faults: a refused port, a partition
that swallows every packet (``BLACKHOLE``), or a slow link. Only the standard library is
used, so the proxy works wherever the tests run.

Design: one daemon thread runs a ``selectors`` loop over non-blocking sockets, so a peer
that stops reading can never block the proxy, and ``stop()`` only has to wait for one
``select`` timeout. Other threads never touch a socket; ``set_mode()`` and ``close_all()``
hand a command to the loop and wait until it has run, so when they return the new mode
already applies to every connection.
"""

from __future__ import annotations

import contextlib
import errno
import queue
import selectors
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import Enum
from types import TracebackType
from typing import Any

__all__ = ["Mode", "TcpProxy"]

_CHUNK = 65536
# Stop reading from one side while this much is waiting for the other side: back-pressure
# instead of unbounded memory when a peer stops reading.
_BUFFER_LIMIT = 4 * _CHUNK
# The longest the loop sleeps in select(); commands wake it at once through a socketpair.
_TICK = 0.05
_JOIN_TIMEOUT = 2.0


class Mode(str, Enum):
    """What the proxy does with traffic."""

    PASS = "pass"  # forward bytes both ways
    REFUSE = "refuse"  # reset new connections at once, reset the existing ones
    BLACKHOLE = "blackhole"  # keep connections open but forward nothing: a partition
    SLOW = "slow"  # forward, each chunk `delay` seconds late


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN, as a refused or broken connection looks to a client."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class _Direction:
    """Bytes read from one socket that still have to be written to the other."""

    def __init__(self) -> None:
        self.chunks: deque[tuple[float, bytes]] = deque()  # (release time, data)
        self.size = 0
        self.eof = False  # the reading side has sent FIN
        self.shut = False  # the FIN has been passed on to the writing side

    def push(self, release: float, data: bytes) -> None:
        self.chunks.append((release, data))
        self.size += len(data)

    def ready(self, now: float, mode: Mode) -> bool:
        """Whether a chunk may be written now (SLOW holds each one until its release time)."""
        if not self.chunks or mode in (Mode.BLACKHOLE, Mode.REFUSE):
            return False
        return mode is Mode.PASS or self.chunks[0][0] <= now


class _Connection:
    """One client connection and its upstream connection."""

    def __init__(self, client: socket.socket, peer: Any) -> None:
        self.client = client
        self.peer = peer
        self.upstream: socket.socket | None = None
        self.connecting = False
        self.up = _Direction()  # client -> upstream
        self.down = _Direction()  # upstream -> client
        self.closed = False


class TcpProxy:
    """Forward ``listen_host:port`` to ``target_host:target_port``, with injectable faults.

    Use ``with TcpProxy("127.0.0.1", 6379) as proxy:`` (or ``start()``/``stop()``) and point
    the client at ``proxy.port``.
    """

    def __init__(
        self,
        target_host: str,
        target_port: int,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.listen_host = listen_host
        self.listen_port = listen_port
        self._mode = Mode.PASS
        self._delay = 0.0
        self._listener: socket.socket | None = None
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._selector: selectors.BaseSelector | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._commands: queue.SimpleQueue[tuple[Callable[[], None], threading.Event]] = (
            queue.SimpleQueue()
        )
        self._stopping = threading.Event()
        self._connections: list[_Connection] = []
        self._registered: dict[socket.socket, int] = {}
        # Counters for debugging; written by the loop thread only, just after each accept or
        # send, so a client may see its bytes a moment before they are counted.
        self.connections_accepted = 0  # accepted and served (PASS, SLOW or BLACKHOLE)
        self.connections_refused = 0  # accepted and reset at once (REFUSE)
        self.bytes_to_target = 0
        self.bytes_to_client = 0

    # -- public API -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port clients should connect to (known once started)."""
        if self._port is None:
            raise RuntimeError("TcpProxy is not started")
        return self._port

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def delay(self) -> float:
        return self._delay

    @property
    def active_connections(self) -> int:
        """Connections currently open through the proxy."""
        return len(self._connections)

    def start(self) -> TcpProxy:
        """Bind the listening socket and start the loop thread; returns self for chaining."""
        if self._thread is not None:
            raise RuntimeError("TcpProxy can only be started once")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.listen_host, self.listen_port))
            listener.listen(128)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self._port = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._want(listener, selectors.EVENT_READ)
        self._want(self._wake_r, selectors.EVENT_READ)
        self._thread = threading.Thread(
            target=self._run, name=f"tcpproxy:{self.port}->{self.target_port}", daemon=True
        )
        self._thread.start()
        return self

    def set_mode(self, mode: Mode, delay: float = 0.0) -> None:
        """Switch the mode; it applies to open connections before this returns.

        BLACKHOLE freezes open connections without closing them; their unread bytes stay in
        the kernel buffers and are delivered if the mode goes back to PASS or SLOW. REFUSE
        resets open connections. ``delay`` is only used by SLOW.
        """
        mode = Mode(mode)
        if delay < 0:
            raise ValueError("delay must not be negative")
        if mode is Mode.SLOW and delay == 0:
            raise ValueError("SLOW needs a delay > 0")

        def apply() -> None:
            self._mode = mode
            self._delay = float(delay)
            if mode is Mode.REFUSE:
                self._close_connections(reset=True)

        self._call(apply)

    def close_all(self, reset: bool = False) -> None:
        """Drop every open connection and keep listening.

        Closes with FIN, or with RST when ``reset=True``; the kernel also sends RST for a
        connection whose unread bytes the proxy still holds (e.g. one frozen by BLACKHOLE).
        """
        self._call(lambda: self._close_connections(reset=reset))

    def stop(self) -> None:
        """Close every socket and join the loop thread (within 2 s, or raise)."""
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        self._wake()
        thread.join(_JOIN_TIMEOUT)
        if thread.is_alive():
            raise RuntimeError(f"TcpProxy thread {thread.name} did not stop")

    def __enter__(self) -> TcpProxy:
        return self if self._thread is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        listen = self._port if self._port is not None else "-"
        return (
            f"<TcpProxy :{listen} -> {self.target_host}:{self.target_port} "
            f"{self._mode.value} open={self.active_connections} "
            f"accepted={self.connections_accepted} refused={self.connections_refused}>"
        )

    # -- commands from other threads --------------------------------------------------------

    def _call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop thread and wait for it, so sockets have a single owner."""
        thread = self._thread
        if thread is None or not thread.is_alive() or thread is threading.current_thread():
            fn()
            return
        done = threading.Event()
        self._commands.put((fn, done))
        self._wake()
        while not done.wait(_TICK):
            if not thread.is_alive():
                # The loop ended between put() and now; it drains the queue on exit, but
                # make sure the command has run before returning.
                self._run_commands()
                return

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):  # a full pipe already wakes the loop
                self._wake_w.send(b"\0")

    def _run_commands(self) -> None:
        while True:
            try:
                fn, done = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                fn()
            finally:
                done.set()

    # -- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        assert self._selector is not None
        try:
            while not self._stopping.is_set():
                self._run_commands()
                now = time.monotonic()
                self._update_interest(now)
                for key, events in self._selector.select(self._timeout(now)):
                    self._dispatch(key.data, events)
                self._finish_connections()
        finally:
            self._shutdown()

    def _timeout(self, now: float) -> float:
        """Sleep until the next SLOW chunk is due, but never longer than one tick."""
        timeout = _TICK
        if self._mode is Mode.SLOW:
            for conn in self._connections:
                for direction in (conn.up, conn.down):
                    if direction.chunks:
                        timeout = min(timeout, max(0.0, direction.chunks[0][0] - now))
        return timeout

    def _dispatch(self, data: tuple[str, _Connection | None], events: int) -> None:
        role, conn = data
        if role == "wake":
            assert self._wake_r is not None
            with contextlib.suppress(OSError):
                while self._wake_r.recv(4096):
                    pass
            return
        if role == "listen":
            self._accept()
            return
        assert conn is not None
        if conn.closed:
            return
        try:
            if role == "upstream" and conn.connecting:
                self._finish_connect(conn)
                return
            client_side = role == "client"
            if events & selectors.EVENT_WRITE:
                self._write(conn, client_side)
            if events & selectors.EVENT_READ and not conn.closed:
                self._read(conn, client_side)
        except OSError:
            self._close(conn, reset=True)

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, peer = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. ECONNABORTED, EMFILE: drop this one, keep serving
                return
            if self._mode is Mode.REFUSE:
                self.connections_refused += 1
                _reset(client)
                continue
            client.setblocking(False)
            with contextlib.suppress(OSError):
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections_accepted += 1
            self._connections.append(_Connection(client, peer))

    def _start_connect(self, conn: _Connection) -> None:
        """Connect upstream without blocking the loop; done lazily so that connections
        accepted during BLACKHOLE reach the target only once traffic flows again."""
        upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        upstream.setblocking(False)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.upstream = upstream
        conn.connecting = True
        err = upstream.connect_ex((self.target_host, self.target_port))
        if err in (0, errno.EISCONN):
            conn.connecting = False
        elif err not in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
            self._close(conn, reset=True)  # the target refuses: so does the proxy

    def _finish_connect(self, conn: _Connection) -> None:
        assert conn.upstream is not None
        err = conn.upstream.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._close(conn, reset=True)
        else:
            conn.connecting = False

    def _read(self, conn: _Connection, client_side: bool) -> None:
        sock = conn.client if client_side else conn.upstream
        direction = conn.up if client_side else conn.down
        assert sock is not None
        try:
            data = sock.recv(_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            direction.eof = True
            return
        delay = self._delay if self._mode is Mode.SLOW else 0.0
        direction.push(time.monotonic() + delay, data)

    def _write(self, conn: _Connection, client_side: bool) -> None:
        sock = conn.client if client_side else conn.upstream
        direction = conn.down if client_side else conn.up
        assert sock is not None
        while direction.ready(time.monotonic(), self._mode):
            release, data = direction.chunks[0]
            try:
                sent = sock.send(data)
            except (BlockingIOError, InterruptedError):
                return
            direction.size -= sent
            if client_side:
                self.bytes_to_client += sent
            else:
                self.bytes_to_target += sent
            if sent < len(data):
                direction.chunks[0] = (release, data[sent:])
                return
            direction.chunks.popleft()

    def _update_interest(self, now: float) -> None:
        """Register exactly the events each socket should wake us for in the current mode.

        In BLACKHOLE nothing is registered, so nothing is read, written or even noticed:
        the peers see silence, as behind a partition.
        """
        forwarding = self._mode in (Mode.PASS, Mode.SLOW)
        for conn in list(self._connections):
            if forwarding and conn.upstream is None:
                self._start_connect(conn)
            if conn.closed:
                continue
            client_events = upstream_events = 0
            if forwarding:
                if not conn.up.eof and conn.up.size < _BUFFER_LIMIT:
                    client_events |= selectors.EVENT_READ
                if conn.down.ready(now, self._mode):
                    client_events |= selectors.EVENT_WRITE
                if conn.connecting:
                    upstream_events = selectors.EVENT_WRITE
                else:
                    if not conn.down.eof and conn.down.size < _BUFFER_LIMIT:
                        upstream_events |= selectors.EVENT_READ
                    if conn.up.ready(now, self._mode):
                        upstream_events |= selectors.EVENT_WRITE
            self._want(conn.client, client_events, ("client", conn))
            if conn.upstream is not None:
                self._want(conn.upstream, upstream_events, ("upstream", conn))

    def _want(self, sock: socket.socket, events: int, data: Any = None) -> None:
        assert self._selector is not None
        if data is None:
            data = ("wake" if sock is self._wake_r else "listen", None)
        current = self._registered.get(sock, 0)
        if events == current:
            return
        if not events:
            self._selector.unregister(sock)
            del self._registered[sock]
        elif not current:
            self._selector.register(sock, events, data)
            self._registered[sock] = events
        else:
            self._selector.modify(sock, events, data)
            self._registered[sock] = events

    def _finish_connections(self) -> None:
        """Pass on half-closes once the buffered bytes are out; close finished pairs."""
        if self._mode not in (Mode.PASS, Mode.SLOW):
            return
        for conn in list(self._connections):
            if conn.closed or conn.connecting:
                continue
            try:
                for direction, target in ((conn.up, conn.upstream), (conn.down, conn.client)):
                    if direction.eof and not direction.chunks and not direction.shut:
                        direction.shut = True
                        if target is not None:
                            target.shutdown(socket.SHUT_WR)
            except OSError:
                self._close(conn, reset=True)
                continue
            if conn.up.shut and (conn.down.shut or conn.upstream is None):
                self._close(conn, reset=False)

    def _close(self, conn: _Connection, reset: bool) -> None:
        if conn.closed:
            return
        conn.closed = True
        for sock in (conn.client, conn.upstream):
            if sock is None:
                continue
            self._want(sock, 0)
            if reset:
                _reset(sock)
            else:
                sock.close()
        with contextlib.suppress(ValueError):
            self._connections.remove(conn)

    def _close_connections(self, reset: bool) -> None:
        for conn in list(self._connections):
            self._close(conn, reset=reset)

    def _shutdown(self) -> None:
        """Runs on the loop thread when it ends: release every socket, then the commands."""
        self._close_connections(reset=False)
        for sock in (self._listener, self._wake_r):
            if sock is not None and sock in self._registered:
                self._want(sock, 0)
        if self._selector is not None:
            self._selector.close()
        if self._listener is not None:
            self._listener.close()
        self._run_commands()
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
