"""Line settings: the coordinators' page and ``rufbereit line show|set`` change a line
through one domain function, every change audited with old and new values (numbers
masked), and public holidays of the chosen federal state close the line for callers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline import cli
from hotline.core.models import Role
from hotline.core.oncall.hours import line_is_open
from hotline.core.oncall.lines import LineError
from hotline.core.oncall.models import Line
from hotline.rosters.audit import COMMAND_LINE
from hotline.rosters.line_edits import change_line, settings_of
from hotline.rosters.models import ShiftAudit
from hotline.voice.directory import LineInfo
from tests.conftest import make_line, make_operator
from tests.roster_support import login, make_user, post

BERLIN = ZoneInfo("Europe/Berlin")
SETTINGS = "/dienstplan/linie/{}/einstellungen"


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.setattr(cli, "create_app", lambda: app)

    def invoke(*args):
        return CliRunner().invoke(cli.main, list(args))

    return invoke


@pytest.fixture
def coordinator(app, session):
    make_user(session, Role.COORDINATOR, username="cora")
    client = app.test_client()
    login(client, "cora")
    return client


def form_data(**changes):
    data = {
        "name": "Heimwegtelefon",
        **{f"hours_{day}": "20:00-04:00" for day in range(7)},
        "closures": "",
        "holiday_state": "",
        "ring_strategy": "simultaneous",
        "ring_timeout": "20",
        "queue_timeout": "180",
        "fallback_number": "",
        "partner": "",
    }
    data.update(changes)
    return data


def line_audits(session):
    session.expire_all()
    return session.scalars(
        select(ShiftAudit).where(ShiftAudit.action == "line_settings").order_by(ShiftAudit.id)
    ).all()


def at(y, m, d, h):
    return dt.datetime(y, m, d, h, tzinfo=BERLIN)


# -- web and command line ---------------------------------------------------------------


def test_settings_round_trip_from_the_page_through_the_command_line_and_back(
    app, session, coordinator, run
):
    line = make_line(session)
    response = post(
        coordinator,
        SETTINGS.format(line.id),
        form_data(
            hours_5="20:00-04:00, 10:00-12:00",
            hours_6="",
            closures="2026-12-24",
            holiday_state="NI",
            ring_strategy="sequential",
            ring_timeout="30",
            queue_timeout="60",
            fallback_number="030 1234567",
            partner="Stadt Hannover",
            show_caller_number="y",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    shown = run("line", "show", str(line.id))
    assert shown.exit_code == 0, shown.output
    assert "hours.sat\t10:00-12:00, 20:00-04:00" in shown.output
    assert "hours.sun\tclosed" in shown.output
    assert "closures\t2026-12-24" in shown.output
    assert "holidays\tNI" in shown.output
    assert "strategy\tsequential" in shown.output
    assert "ring-timeout\t30" in shown.output
    assert "queue-timeout\t60" in shown.output
    assert "fallback\t+49301****67" in shown.output
    assert "1234567" not in shown.output
    assert "show-caller-number\tyes" in shown.output

    changed = run(
        "line", "set", str(line.id), "--ring-timeout", "45", "--holidays", "BY",
        "--hide-caller-number",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert "ring_timeout: 30 -> 45" in changed.output

    page = coordinator.get(SETTINGS.format(line.id)).get_data(as_text=True)
    assert 'name="ring_timeout" required type="number" value="45"' in page
    assert '<option value="BY" selected>Bayern</option>' in page
    assert 'name="show_caller_number" type="checkbox" value="y">' in page  # unchecked
    assert 'value="10:00-12:00, 20:00-04:00"' in page


def test_a_change_on_the_page_is_audited_with_old_and_new_values_and_a_masked_number(
    session, coordinator
):
    line = make_line(session, fallback_number="+493011111111")
    post(coordinator, SETTINGS.format(line.id), form_data(fallback_number="+493022222222"))
    (entry,) = line_audits(session)
    assert entry.actor == "Cora (cora)"
    assert entry.before["line_id"] == entry.after["line_id"] == line.id
    assert entry.before["settings"]["fallback_number"] == "+49301*****11"
    assert entry.after["settings"]["fallback_number"] == "+49302*****22"
    assert "mon 00:00-24:00" in entry.before["settings"]["hours"]
    assert "mon 20:00-04:00" in entry.after["settings"]["hours"]
    assert "22222222" not in str(entry.after)


def test_a_change_on_the_command_line_is_audited_as_the_command_line(session, run):
    line = make_line(session)
    result = run("line", "set", "+4930120000", "--queue-timeout", "0", "--partner", "Landkreis")
    assert result.exit_code == 0, result.output
    (entry,) = line_audits(session)
    assert (entry.actor, entry.user_id) == ("Kommandozeile", None)
    assert entry.before["settings"] == {"queue_timeout": 180, "partner": None}
    assert entry.after["settings"] == {"queue_timeout": 0, "partner": "Landkreis"}
    assert session.get(Line, line.id).queue_timeout == 0


def test_the_audit_log_page_shows_line_setting_changes(session, coordinator):
    line = make_line(session)
    post(coordinator, SETTINGS.format(line.id), form_data(ring_timeout="33"))
    page = coordinator.get("/dienstplan/protokoll").get_data(as_text=True)
    assert "Klingeldauer (Sekunden): 20" in page
    assert "Klingeldauer (Sekunden): 33" in page


def test_saving_unchanged_settings_writes_no_audit_row(session, coordinator):
    line = make_line(session, hours={d: ["20:00-04:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})  # fmt: skip
    response = post(coordinator, SETTINGS.format(line.id), form_data(), follow_redirects=True)
    assert "Nichts geändert." in response.get_data(as_text=True)
    assert line_audits(session) == []


def test_a_bad_opening_span_is_refused_in_german_and_changes_nothing(session, coordinator):
    line = make_line(session)
    response = post(
        coordinator, SETTINGS.format(line.id), form_data(hours_0="abends", ring_timeout="30")
    )
    assert response.status_code == 422
    assert "Bitte Zeiten wie 20:00-04:00 angeben" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Line, line.id).ring_timeout == 20
    assert line_audits(session) == []


def test_a_ring_timeout_out_of_range_is_refused_on_the_command_line(session, run):
    make_line(session)
    result = run("line", "set", "+4930120000", "--ring-timeout", "3")
    assert result.exit_code == 1
    assert "ring_timeout must be between 5 and 120 seconds" in result.output
    assert line_audits(session) == []


def test_an_unknown_federal_state_is_refused(session):
    line = make_line(session)
    with pytest.raises(LineError, match="unknown federal state 'XX'"):
        change_line(session, COMMAND_LINE, line.id, {"holiday_state": "XX"})


def test_planners_may_not_change_line_settings(app, session):
    line = make_line(session)
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    assert client.get(SETTINGS.format(line.id)).status_code == 403


def test_coordinators_are_chosen_from_accounts_and_get_the_notices_on_their_mobile(
    session, coordinator, run
):
    line = make_line(session)
    anna = make_operator(session, name="Anna", phone="+4915123456789")
    account = make_user(session, Role.COORDINATOR, operator=anna, username="anna")
    page = coordinator.get(SETTINGS.format(line.id)).get_data(as_text=True)
    assert f'id="coordinator-{account.id}"' in page
    post(coordinator, SETTINGS.format(line.id), form_data(coordinators=str(account.id)))
    session.expire_all()
    (notified,) = session.get(Line, line.id).coordinators
    assert notified.phone_number == "+4915123456789"
    assert line_audits(session)[-1].after["settings"]["coordinators"] == "Anna"
    assert "coordinators\tanna" in run("line", "show", str(line.id)).output

    result = run("line", "set", str(line.id), "--no-coordinators")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.get(Line, line.id).coordinators == []


def test_coordinators_added_without_an_account_stay_when_accounts_change(session):
    from hotline.core.oncall.lines import add_coordinator

    line = make_line(session)
    add_coordinator(line, "Büro", "+4915199999999")
    anna = make_operator(session, name="Anna", phone="+4915123456789")
    account = make_user(session, Role.COORDINATOR, operator=anna, username="anna")
    change_line(session, COMMAND_LINE, line.id, {"coordinators": [account.id]})
    change_line(session, COMMAND_LINE, line.id, {"coordinators": []})
    assert [c.name for c in line.coordinators] == ["Büro"]


def test_an_account_without_an_operator_cannot_coordinate(session):
    line = make_line(session)
    account = make_user(session, Role.COORDINATOR, username="ohne")
    with pytest.raises(LineError, match="cannot coordinate"):
        change_line(session, COMMAND_LINE, line.id, {"coordinators": [account.id]})


def test_closures_keep_their_reasons_when_the_list_changes(session):
    from hotline.core.oncall.lines import add_closure

    line = make_line(session)
    add_closure(line, dt.date(2026, 12, 24), "Heiligabend")
    session.flush()
    change_line(
        session, COMMAND_LINE, line.id, {"closures": [dt.date(2026, 12, 24), dt.date(2026, 12, 31)]}
    )
    assert {(c.date, c.reason) for c in line.closures} == {
        (dt.date(2026, 12, 24), "Heiligabend"),
        (dt.date(2026, 12, 31), None),
    }


# -- public holidays in the opening-hours check ---------------------------------------------


def test_christmas_day_closes_a_line_with_the_holidays_of_lower_saxony(session):
    line = make_line(session)
    change_line(session, COMMAND_LINE, line.id, {"holiday_state": "NI"})
    info = LineInfo.of(line)  # what the IVR's hours check reads
    assert not line_is_open(info, at(2026, 12, 25, 21))
    assert line_is_open(info, at(2026, 12, 23, 21))


def test_reformation_day_closes_the_line_in_lower_saxony_but_not_in_bavaria(session):
    ni = make_line(session)
    by = make_line(session, number="+4930120001", name="Bayern")
    change_line(session, COMMAND_LINE, ni.id, {"holiday_state": "NI"})
    change_line(session, COMMAND_LINE, by.id, {"holiday_state": "BY"})
    reformation_day = at(2026, 10, 31, 21)
    assert not line_is_open(LineInfo.of(ni), reformation_day)
    assert line_is_open(LineInfo.of(by), reformation_day)


def test_a_night_that_starts_on_a_holiday_stays_closed_past_midnight(session):
    line = make_line(session, hours={"fri": ["20:00-04:00"]})  # 2027-01-01 is a Friday
    change_line(session, COMMAND_LINE, line.id, {"holiday_state": "BB"})
    assert not line_is_open(LineInfo.of(line), at(2027, 1, 2, 2))  # New Year's night
    assert line_is_open(LineInfo.of(line), at(2027, 1, 9, 2))  # the Friday night after


def test_a_caller_on_a_public_holiday_hears_that_the_line_is_closed(session, twilio, monkeypatch):
    from hotline.voice import webhooks
    from hotline.voice.models import Call, CallOutcome

    line = make_line(session)
    change_line(session, COMMAND_LINE, line.id, {"holiday_state": "NI"})
    session.flush()
    christmas = at(2026, 12, 25, 21).astimezone(dt.UTC)
    monkeypatch.setattr(webhooks, "utcnow", lambda: christmas)
    doc = twilio.twiml("/twilio/voice")
    assert doc[-1].tag == "Hangup"
    session.expire_all()
    call = session.scalar(select(Call).where(Call.call_sid == twilio.call_sid))
    assert call.outcome == CallOutcome.AFTER_HOURS


def test_settings_of_a_fresh_line_read_back_as_given(session):
    line = make_line(session, hours={"fri": ["20:00-04:00"]}, ring_timeout=25)
    settings = settings_of(session, line)
    assert settings["hours"]["fri"] == ["20:00-04:00"]
    assert settings["hours"]["mon"] == []
    assert settings["ring_timeout"] == 25
    assert settings["holiday_state"] is None
