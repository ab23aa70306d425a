"""The web process's settings cannot starve the Fallback URL: sync workers (the webhook
deadline's timer needs each request on a worker's main thread), at least two of them, and a
worker timeout that replaces a stuck worker well inside Twilio's 15 s."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings(monkeypatch, **env: str) -> dict:  # noqa: ANN001
    for key in ("WEB_CONCURRENCY", "WEB_WORKER_TIMEOUT", "PORT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_the_procfile_runs_gunicorn_with_the_settings_file() -> None:
    web = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert "-c gunicorn.conf.py" in web


def test_web_workers_are_sync_at_least_two_and_replaced_within_the_twilio_limit(monkeypatch):
    settings = _settings(monkeypatch)
    assert settings["worker_class"] == "sync"
    assert settings["workers"] >= 2
    assert settings["timeout"] < 15


def test_the_webhook_deadline_fires_before_gunicorn_kills_the_worker(monkeypatch):
    from hotline.core.config import WEBHOOK_DEADLINE_SECONDS

    settings = _settings(monkeypatch)
    assert WEBHOOK_DEADLINE_SECONDS.default < settings["timeout"]
    assert WEBHOOK_DEADLINE_SECONDS.kind.max < 15  # always inside Twilio's limit
