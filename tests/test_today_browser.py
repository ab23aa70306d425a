"""The Today page in a real headless Chromium: a panel reloads itself (htmx polling) when a
caller starts waiting, without the page being reloaded."""

from __future__ import annotations

import datetime as dt

from hotline.core.models import Role, utcnow
from hotline.voice.models import Call
from tests.call_support import sid
from tests.conftest import make_line
from tests.messaging_support import wait_for
from tests.roster_support import committed_app_fixture, live_server, make_user  # noqa: F401
from tests.test_roster_browser import browser, page, pytestmark, seed, sign_in  # noqa: F401


def test_a_waiting_caller_appears_on_the_open_page_by_itself(committed_app, page):  # noqa: F811
    def build(session):  # noqa: ANN001, ANN202
        line = make_line(session)
        make_user(session, Role.COORDINATOR, username="cora")
        return line.id

    line_id = seed(committed_app, build)
    with live_server(committed_app) as base:
        sign_in(page, base, "cora")
        assert page.url == f"{base}/heute"  # a coordinator's start page
        panel = page.locator("#panel-running_calls")
        assert "Nichts zu tun." in panel.inner_text()
        page.evaluate("window.notReloaded = true")

        def queued(session):  # noqa: ANN001, ANN202
            now = utcnow()
            session.add(
                Call(
                    call_sid=sid(),
                    line_id=line_id,
                    caller_hash="w",
                    started_at=now - dt.timedelta(seconds=40),
                    queued_at=now,
                )
            )

        seed(committed_app, queued)
        waiting = page.locator('#panel-running_calls [data-figure="waiting"]')
        wait_for(lambda: waiting.count() == 1, timeout=30, what="the panel to reload itself")
        assert waiting.inner_text() == "1"
        assert page.evaluate("window.notReloaded") is True
