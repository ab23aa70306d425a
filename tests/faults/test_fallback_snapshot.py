"""The line's fallback number survives a restart during a database outage: it is kept in a
local snapshot file, written whenever a line is read or changed and read at start-up."""

from __future__ import annotations

import json
import logging

from hotline import create_app
from hotline.core.extensions import db
from tests.conftest import TwilioDriver, make_line, test_config

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/unreachable"


def _app(database_url: str, redis_url: str, snapshot, **overrides):  # noqa: ANN001, ANN202
    return create_app(
        test_config(database_url, redis_url, FALLBACK_SNAPSHOT_PATH=str(snapshot), **overrides)
    )


def test_a_worker_started_during_an_outage_rings_the_fallback_seen_before(
    session, app, twilio, tmp_path, database_url, redis_url
):
    snapshot = tmp_path / "fallback.json"
    app.config["FALLBACK_SNAPSHOT_PATH"] = str(snapshot)
    from hotline.core.fallback import init_fallback

    init_fallback(app)
    make_line(session, fallback_number="+4930120077")
    twilio.twiml("/twilio/voice")  # the entry reads the line, and with it its fallback
    assert json.loads(snapshot.read_text())["lines"] == {"+4930120000": "+4930120077"}

    restarted = _app(database_url, redis_url, snapshot, DATABASE_URL=UNREACHABLE)
    try:
        doc = TwilioDriver(restarted, call_sid="CA" + "5" * 32).twiml("/twilio/voice")
    finally:
        db.factory = None  # the next test binds its own
    assert doc.find("Dial").text == "+4930120077"
    assert doc.find("Dial").get("callerId") == "+4930120000"


def test_configuration_wins_over_the_snapshot(tmp_path, database_url, redis_url):
    snapshot = tmp_path / "fallback.json"
    snapshot.write_text(json.dumps({"lines": {"+4930120000": "+4930120077"}}))
    app = _app(
        database_url,
        redis_url,
        snapshot,
        DATABASE_URL=UNREACHABLE,
        FALLBACK_NUMBERS={"+4930120000": "+4930120011"},
    )
    try:
        doc = TwilioDriver(app).twiml("/twilio/voice")
    finally:
        db.factory = None
    assert doc.find("Dial").text == "+4930120011"


def test_adding_a_line_writes_its_fallback_to_the_snapshot(app, session, tmp_path):
    from hotline.core.fallback import init_fallback

    snapshot = tmp_path / "fallback.json"
    app.config["FALLBACK_SNAPSHOT_PATH"] = str(snapshot)
    init_fallback(app)
    with app.app_context():
        make_line(session, number="+4930120005", fallback_number="+4930120055")
    assert json.loads(snapshot.read_text())["lines"]["+4930120005"] == "+4930120055"


def test_an_unreadable_snapshot_is_reported_and_the_configured_fallback_still_rings(
    tmp_path, database_url, redis_url, caplog
):
    snapshot = tmp_path / "fallback.json"
    snapshot.write_text("{not json")
    with caplog.at_level(logging.ERROR, logger="hotline.core.fallback"):
        app = _app(
            database_url,
            redis_url,
            snapshot,
            DATABASE_URL=UNREACHABLE,
            FALLBACK_NUMBER="+4930120098",
        )
    try:
        doc = TwilioDriver(app).twiml("/twilio/voice")
    finally:
        db.factory = None
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    assert doc.find("Dial").text == "+4930120098"


def test_production_start_up_warns_about_a_line_without_a_reachable_fallback(
    engine, database_url, redis_url, tmp_path, caplog
):
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        line = make_line(s, number="+4930120123", name="Ohne Rückfall", fallback_number=None)
        s.commit()
        line_id = line.id
    try:
        with caplog.at_level(logging.WARNING, logger="hotline.core.fallback"):
            create_app(
                test_config(
                    database_url,
                    redis_url,
                    ENV_NAME="production",
                    FALLBACK_SYNC_AT_START=True,
                    FALLBACK_SNAPSHOT_PATH=str(tmp_path / "f.json"),
                )
            )
    finally:
        from hotline.core.oncall.models import Line

        with Session(engine) as s:
            s.delete(s.get(Line, line_id))
            s.commit()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"LINE {line_id} ('Ohne Rückfall'" in w and "HAS NO FALLBACK" in w for w in warnings)
