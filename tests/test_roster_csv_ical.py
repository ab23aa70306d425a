"""CSV import/export of operators and shifts (all or nothing, errors per row) and the
iCalendar feeds."""

from __future__ import annotations

import datetime as dt
import io

from icalendar import Calendar
from sqlalchemy import func, select

from hotline.core.models import Role
from hotline.core.oncall.models import Operator, Shift
from hotline.rosters import csvio, ical
from hotline.rosters.audit import SYSTEM
from hotline.rosters.shift_edits import add_shift
from tests.conftest import make_line, make_operator
from tests.roster_support import login, make_user, post

UTC = dt.UTC


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


def test_operator_import_creates_and_updates_rows(session):
    existing = make_operator(session, phone="+4915100000001", name="Alt")
    report = csvio.import_operators(
        session,
        "name,phone,languages,status\n"
        "Anna,0151 00000001,de en,active\n"
        "Ben,+49 151 00000002,de,paused\n",
    )
    assert report.ok and (report.created, report.updated) == (1, 1)
    assert existing.name == "Anna" and existing.languages == ["de", "en"]
    ben = session.scalar(select(Operator).where(Operator.phone_number == "+4915100000002"))
    assert ben.status.value == "paused"


def test_operator_import_with_one_bad_row_imports_nothing_and_names_the_row(session):
    report = csvio.import_operators(
        session,
        "name,phone,languages\nAnna,0151 00000001,de\nFestnetz,030 1234567,de\nCem,0151 00000003,tr\n",
    )
    assert not report.ok
    assert [row for row, _ in report.errors] == [3]
    assert "landline" in report.messages()[0][1]
    assert count(session, Operator) == 0


def test_shift_import_is_all_or_nothing(session):
    line = make_line(session)
    anna = make_operator(session, phone="+4915100000001")
    report = csvio.import_shifts(
        session,
        "operator_phone,line_number,start,end\n"
        f"{anna.phone_number},{line.number},2030-01-07 20:00,2030-01-07 23:00\n"
        f"{anna.phone_number},{line.number},2030-01-08 20:00,2030-01-08 19:00\n"
        f"+4915199999999,{line.number},2030-01-09 20:00,2030-01-09 23:00\n",
        SYSTEM,
    )
    assert [row for row, _ in report.errors] == [3, 4]
    assert "end after it starts" in report.messages()[0][1]
    assert "no operator" in report.messages()[1][1]
    assert count(session, Shift) == 0


def test_shift_export_reads_back_in_through_the_import(session):
    line, anna = make_line(session), make_operator(session)
    add_shift(
        session, SYSTEM, anna.id, line.id, dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 8, 2)
    )
    exported = csvio.export_shifts(session, since=dt.datetime(2029, 1, 1, tzinfo=UTC))
    # Numbers start with "+", which a spreadsheet would read as a formula: marked as text.
    assert f"'{anna.phone_number},'{line.number},2030-01-07 20:00,2030-01-08 02:00" in exported
    session.delete(session.scalar(select(Shift)))
    session.flush()
    report = csvio.import_shifts(session, exported, SYSTEM)
    assert report.ok and report.created == 1
    shift = session.scalar(select(Shift))
    assert (shift.operator_id, shift.local_start, shift.local_end) == (
        anna.id,
        dt.datetime(2030, 1, 7, 20),
        dt.datetime(2030, 1, 8, 2),
    )


def test_importing_the_same_file_twice_does_not_double_the_shifts(session):
    line, anna = make_line(session), make_operator(session)
    body = (
        "operator_phone,line_number,start,end\n"
        f"{anna.phone_number},{line.number},2030-01-07 20:00,2030-01-07 23:00\n"
    )
    assert csvio.import_shifts(session, body, SYSTEM).ok
    again = csvio.import_shifts(session, body, SYSTEM)
    assert [row for row, _ in again.errors] == [2]
    assert "already on shift" in again.messages()[0][1]
    assert count(session, Shift) == 1


def test_operator_export_lists_every_operator(session):
    anna = make_operator(session, name="Anna", languages=["de", "en"])
    exported = csvio.export_operators(session)
    assert exported.splitlines()[0] == "name,phone,languages,status"
    assert f"Anna,'{anna.phone_number},de en,active" in exported


def test_planner_uploads_a_csv_with_a_bad_row_and_sees_its_error(app, session):
    line, anna = make_line(session), make_operator(session)
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    body = (
        "operator_phone,line_number,start,end\n"
        f"{anna.phone_number},{line.number},2030-01-07 20:00,2030-01-07 23:00\n"
        f"{anna.phone_number},{line.number},morgen,2030-01-07 23:00\n"
    )
    response = post(
        client,
        "/dienstplan/import",
        {"kind": "shifts", "file": (io.BytesIO(body.encode()), "schichten.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nichts wurde importiert" in page
    assert (
        "<td>3</td>" in page and "&#39;morgen&#39; ist kein Zeitpunkt wie 2026-11-27 20:00." in page
    )
    assert count(session, Shift) == 0


def _events(data: bytes) -> list:
    return [c for c in Calendar.from_ical(data).walk("VEVENT")]


def test_operator_feed_parses_back_with_the_right_times_across_dst(app, session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    dst_night = add_shift(
        session,
        SYSTEM,
        anna.id,
        line.id,
        dt.datetime(2026, 10, 24, 22),
        dt.datetime(2026, 10, 25, 4),
    )
    add_shift(
        session,
        SYSTEM,
        ben.id,
        line.id,
        dt.datetime(2026, 10, 24, 22),
        dt.datetime(2026, 10, 25, 4),
    )
    token = ical.feed_token(session, "operator", anna.id)
    response = app.test_client().get(f"/kalender/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    feed = ical.feed_for_token(session, token)
    events = _events(ical.build_calendar(session, feed, now=dt.datetime(2026, 10, 1, tzinfo=UTC)))
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == dt.datetime(2026, 10, 24, 20, tzinfo=UTC)  # 22:00 CEST
    assert event.decoded("dtend") == dt.datetime(2026, 10, 25, 3, tzinfo=UTC)  # 04:00 CET
    assert event.decoded("dtstart") == dst_night.starts_at
    assert str(event["uid"]) == f"shift-{dst_night.id}@rufbereit"


def test_line_feed_holds_every_shift_of_the_line(session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    for op in (anna, ben):
        add_shift(
            session,
            SYSTEM,
            op.id,
            line.id,
            dt.datetime(2030, 1, 7, 20),
            dt.datetime(2030, 1, 7, 23),
        )
    feed = ical.feed_for_token(session, ical.feed_token(session, "line", line.id))
    events = _events(ical.build_calendar(session, feed, now=dt.datetime(2030, 1, 1, tzinfo=UTC)))
    assert sorted(str(e["summary"]) for e in events) == sorted(
        f"Schicht: {op.name}" for op in (anna, ben)
    )


def test_unknown_feed_token_is_not_found(app, session):
    assert app.test_client().get("/kalender/nicht-geheim.ics").status_code == 404


def test_operator_gets_a_new_secret_feed_address_and_the_old_one_stops_working(app, session):
    anna = make_operator(session)
    make_user(session, Role.OPERATOR, operator=anna, username="anna")
    client = app.test_client()
    login(client, "anna")
    old = ical.feed_token(session, "operator", anna.id)
    assert client.get(f"/kalender/{old}.ics").status_code == 200
    assert post(client, "/dienstplan/meine/kalender").status_code == 302
    session.expire_all()
    new = ical.feed_token(session, "operator", anna.id)
    assert new != old
    assert client.get(f"/kalender/{old}.ics").status_code == 404
    assert client.get(f"/kalender/{new}.ics").status_code == 200
