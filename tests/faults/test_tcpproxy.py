"""Specification of the fault-injection TCP proxy, against a local echo server.

The fault tests trust the proxy to simulate a refused port, a partition and a slow link
faithfully, so each behaviour they rely on is pinned down here, one per test.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from .tcpproxy import Mode, TcpProxy

# A client that waits this long and hears nothing has met a silent peer, not a slow one.
RECV_TIMEOUT = 0.3
SLOW_DELAY = 0.2


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    """A tiny echo server standing in for PostgreSQL/Redis: what goes in comes back."""
    server = _EchoServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(2)


@pytest.fixture(autouse=True)
def no_leaked_proxy_threads() -> Iterator[None]:
    yield
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("tcpproxy:")]
    assert not leaked, f"proxy threads still running: {leaked}"


@pytest.fixture
def proxy(echo_port: int) -> Iterator[TcpProxy]:
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        yield proxy


def connect(proxy: TcpProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=RECV_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {size} bytes")
        data += chunk
    return data


def roundtrip(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return recv_exactly(sock, len(data))


REJECTED = (ConnectionResetError, ConnectionRefusedError, BrokenPipeError)


def assert_rejected_fast(sock: socket.socket) -> None:
    """The peer resets or closes the connection: an error well before RECV_TIMEOUT."""
    started = time.monotonic()
    with contextlib.suppress(*REJECTED):
        sock.sendall(b"ping")
        assert sock.recv(16) == b""
    assert time.monotonic() - started < RECV_TIMEOUT / 2


def assert_new_connection_rejected_fast(proxy: TcpProxy) -> None:
    """Connecting fails, or the first exchange does; either way well before RECV_TIMEOUT.

    The reset can even beat ``connect()``: with a timeout it polls and then reads SO_ERROR.
    """
    started = time.monotonic()
    with contextlib.suppress(*REJECTED), connect(proxy) as sock:
        sock.sendall(b"ping")
        assert sock.recv(16) == b""
    assert time.monotonic() - started < RECV_TIMEOUT / 2


def assert_closed(sock: socket.socket) -> None:
    """The peer has closed: FIN, or RST if the proxy's side still held unread bytes."""
    with contextlib.suppress(ConnectionResetError):
        assert sock.recv(16) == b""


def test_pass_forwards_bytes_both_ways(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert roundtrip(sock, b"hello") == b"hello"
    proxy.stop()  # the loop thread counts after each send; read the counters once it is done
    assert proxy.connections_accepted == 1
    assert proxy.bytes_to_target == proxy.bytes_to_client == 5


def test_pass_forwards_a_large_payload_intact(proxy: TcpProxy) -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB: several times the proxy's buffer limit
    with connect(proxy) as sock:
        sock.settimeout(5)
        sender = threading.Thread(target=sock.sendall, args=(payload,), daemon=True)
        sender.start()
        assert recv_exactly(sock, len(payload)) == payload
        sender.join(2)


def test_pass_passes_on_a_half_close(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        sock.sendall(b"last words")
        sock.shutdown(socket.SHUT_WR)
        assert recv_exactly(sock, 10) == b"last words"
        assert sock.recv(16) == b""  # the echo server saw EOF and closed; so do we


def test_refuse_resets_new_connections_at_once(proxy: TcpProxy) -> None:
    proxy.set_mode(Mode.REFUSE)
    assert_new_connection_rejected_fast(proxy)
    assert proxy.connections_refused == 1


def test_refuse_resets_open_connections(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert roundtrip(sock, b"before") == b"before"
        proxy.set_mode(Mode.REFUSE)
        assert_rejected_fast(sock)
    assert proxy.active_connections == 0


def test_blackhole_silences_an_open_connection_without_closing_it(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert roundtrip(sock, b"before") == b"before"
        proxy.set_mode(Mode.BLACKHOLE)
        sock.sendall(b"into the void")
        with pytest.raises(TimeoutError):  # silence: neither data, nor FIN, nor RST
            sock.recv(16)
        sock.sendall(b"still writable")
        assert proxy.active_connections == 1


def test_blackhole_accepts_new_connections_but_never_answers(proxy: TcpProxy) -> None:
    proxy.set_mode(Mode.BLACKHOLE)
    with connect(proxy) as sock:
        sock.sendall(b"hello?")
        with pytest.raises(TimeoutError):
            sock.recv(16)


def test_pass_after_blackhole_delivers_the_held_bytes(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        proxy.set_mode(Mode.BLACKHOLE)
        sock.sendall(b"held")
        with pytest.raises(TimeoutError):
            sock.recv(16)
        proxy.set_mode(Mode.PASS)
        assert recv_exactly(sock, 4) == b"held"


def test_pass_after_blackhole_serves_new_connections(proxy: TcpProxy) -> None:
    proxy.set_mode(Mode.BLACKHOLE)
    proxy.set_mode(Mode.PASS)
    with connect(proxy) as sock:
        assert roundtrip(sock, b"back") == b"back"


def test_slow_delays_each_direction_of_an_open_connection(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert roundtrip(sock, b"warm") == b"warm"
        proxy.set_mode(Mode.SLOW, delay=SLOW_DELAY)
        sock.settimeout(2)
        started = time.monotonic()
        assert roundtrip(sock, b"slow") == b"slow"
        elapsed = time.monotonic() - started
    assert 2 * SLOW_DELAY <= elapsed < 2 * SLOW_DELAY + 0.5  # once there, once back


def test_slow_needs_a_delay(proxy: TcpProxy) -> None:
    with pytest.raises(ValueError):
        proxy.set_mode(Mode.SLOW)


def test_close_all_drops_open_connections_and_keeps_listening(proxy: TcpProxy) -> None:
    with connect(proxy) as first, connect(proxy) as second:
        assert roundtrip(first, b"1") == b"1"
        assert roundtrip(second, b"2") == b"2"
        proxy.close_all()
        assert first.recv(16) == b""
        assert second.recv(16) == b""
    with connect(proxy) as sock:
        assert roundtrip(sock, b"again") == b"again"


def test_an_unreachable_target_resets_the_client(echo_port: int) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        closed_port = placeholder.getsockname()[1]
        with TcpProxy("127.0.0.1", closed_port) as proxy:
            assert_new_connection_rejected_fast(proxy)


def test_stop_returns_quickly_with_connections_open(echo_port: int) -> None:
    proxy = TcpProxy("127.0.0.1", echo_port).start()
    passing = connect(proxy)
    assert roundtrip(passing, b"x") == b"x"
    proxy.set_mode(Mode.BLACKHOLE)
    silent = connect(proxy)
    silent.sendall(b"unanswered")
    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 0.3
    with passing, silent:
        assert passing.recv(16) == b""
        assert_closed(silent)  # "unanswered" was never read, so the kernel resets


def test_context_manager_starts_and_stops(echo_port: int) -> None:
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        port = proxy.port
        with connect(proxy) as sock:
            assert roundtrip(sock, b"ctx") == b"ctx"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=RECV_TIMEOUT)


def _redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_is_up(), reason="no Redis on 127.0.0.1:6379")
def test_redis_client_times_out_behind_a_blackhole() -> None:
    redis = pytest.importorskip("redis")
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    with TcpProxy("127.0.0.1", 6379) as proxy:
        # redis-py retries timeouts 10 times by default (~9 s here); no retries keeps the
        # failure to one socket_timeout.
        client = redis.Redis(
            port=proxy.port,
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            assert client.ping() is True
            proxy.set_mode(Mode.BLACKHOLE)
            started = time.monotonic()
            with pytest.raises(redis.exceptions.TimeoutError):
                client.ping()
            assert time.monotonic() - started < 1.0
        finally:
            client.close()
