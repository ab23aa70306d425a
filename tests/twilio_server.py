"""A local Twilio-compatible REST server for end-to-end tests.

Implements just what Rufbereit calls: ``POST /2010-04-01/Accounts/{sid}/Messages.json``,
``…/Calls.json`` and the update of a live call, ``…/Calls/{CallSid}.json`` (kept in
``updates``), answering with Twilio-shaped JSON. The app reaches it through
``TWILIO_API_BASE_URL``, so the real ``twilio`` client and HTTP stack are exercised.

Failures are scripted per destination number: ``server.fail(to, status=429)``,
``server.fail(to, status=400, code=21610)``; ``times`` limits how often.

Every request is also kept in ``received`` with the time it arrived (``time.time()``, the
clock Redis reads too), so tests can check rates and retry times where they matter: at the
provider.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

_CALL_UPDATE = re.compile(r"/Calls/(CA[0-9A-Za-z]{32})\.json$")


@dataclass
class Failure:
    status: int
    code: int | None = None
    times: int | None = None  # None = always


@dataclass(frozen=True)
class Received:
    """One request as the server saw it, failures included."""

    at: float
    path: str
    to: str
    form: dict[str, str]
    status: int

    @property
    def is_call(self) -> bool:
        return self.path.endswith("/Calls.json")


@dataclass
class TwilioServer:
    messages: list[dict[str, str]] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)
    #: Updates of live calls (``Url`` and ``Method``, with the call's ``sid``), in order.
    updates: list[dict[str, str]] = field(default_factory=list)
    failures: dict[str, Failure] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, To), incl. failures
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> TwilioServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def fail(self, to: str, status: int, code: int | None = None, times: int | None = None) -> None:
        self.failures[to] = Failure(status, code, times)

    def _respond(self, path: str, form: dict[str, str]) -> tuple[int, dict]:
        at = time.time()
        with self._lock:
            status, body = self._answer(path, form)
            self.received.append(Received(at, path, form.get("To", ""), form, status))
        return status, body

    def _answer(self, path: str, form: dict[str, str]) -> tuple[int, dict]:
        """Called under the lock."""
        to = form.get("To", "")
        self.requests.append((path, to))
        failure = self.failures.get(to)
        if failure and failure.times is not None:
            if failure.times <= 0:
                failure = None
            else:
                self.failures[to].times = failure.times - 1
        if failure:
            return failure.status, {
                "code": failure.code or failure.status * 100,
                "message": f"scripted failure {failure.status}",
                "more_info": "https://www.twilio.com/docs/errors",
                "status": failure.status,
            }
        n = next(self._ids)
        if path.endswith("/Messages.json"):
            sid = f"SM{n:032d}"
            self.messages.append({**form, "sid": sid})
            return 201, {
                "sid": sid,
                "status": "queued",
                "to": to,
                "from": form.get("From"),
                "body": form.get("Body"),
                "error_code": None,
            }
        if path.endswith("/Calls.json"):
            sid = f"CA{n:032d}"
            self.calls.append({**form, "sid": sid})
            return 201, {"sid": sid, "status": "queued", "to": to, "from": form.get("From")}
        update = _CALL_UPDATE.search(path)
        if update:
            sid = update.group(1)
            self.updates.append({**form, "sid": sid})
            return 200, {"sid": sid, "status": "in-progress", "to": "", "from": ""}
        return 404, {"code": 20404, "message": "not found", "status": 404}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length", 0))
                raw = parse_qs(self.rfile.read(length).decode())
                form = {k: v[0] for k, v in raw.items()}
                status, body = server._respond(self.path.split("?")[0], form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
