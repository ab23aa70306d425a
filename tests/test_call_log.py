"""The call log: every call filtered by line, partner, date and outcome, page by page, with
the caller's number in full only for coordinators and only while it is retained; and its
CSV export (the same filter, German headings, ``;``, UTF-8 with BOM, formula-safe)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from hotline.core.exports import restore
from hotline.core.models import Role
from hotline.voice.call_log import PAGE_SIZE
from hotline.voice.models import Call, CallOutcome
from tests.call_support import sid
from tests.conftest import make_line, make_operator
from tests.roster_support import login, make_user

BERLIN_NOON = dt.datetime(2030, 1, 7, 11, 0, tzinfo=dt.UTC)  # 12:00 in Berlin, a Monday


def signed_in(app, session, role: Role):  # noqa: ANN001, ANN201
    operator = make_operator(session) if role == Role.OPERATOR else None
    user = make_user(session, role, operator=operator, username=f"{role.value}-log")
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    return client


def add_call(session, line, started_at=BERLIN_NOON, **kw) -> Call:  # noqa: ANN001
    call = Call(
        call_sid=sid(),
        line_id=line.id,
        caller_hash=kw.pop("caller_hash", "h"),
        started_at=started_at,
        **kw,
    )
    session.add(call)
    session.flush()
    return call


def shown(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-call="(\d+)">', html)]


@pytest.fixture
def lines(session):
    heimweg = make_line(session, number="+4930120000", name="Heimwegtelefon", partner="Berlin")
    senioren = make_line(session, number="+4930120001", name="Seniorentelefon", partner="Köln")
    return heimweg, senioren


@pytest.fixture
def calls(session, lines):
    heimweg, senioren = lines
    return {
        "answered": add_call(session, heimweg, outcome=CallOutcome.ANSWERED, duration_seconds=120),
        "voicemail": add_call(
            session, heimweg, BERLIN_NOON + dt.timedelta(days=1), outcome=CallOutcome.VOICEMAIL
        ),
        "senioren": add_call(
            session, senioren, BERLIN_NOON + dt.timedelta(days=2), outcome=CallOutcome.ABANDONED
        ),
        "running": add_call(session, senioren, BERLIN_NOON + dt.timedelta(days=3)),
    }


@pytest.fixture
def coordinator(app, session):
    return signed_in(app, session, Role.COORDINATOR)


def test_the_log_lists_every_call_newest_first(app, session, calls, coordinator):
    html = coordinator.get("/anrufe").get_data(as_text=True)
    order = ["running", "senioren", "voicemail", "answered"]
    assert shown(html) == [calls[k].id for k in order]
    assert "4 Anrufe" in html


def test_the_log_filters_by_line(app, session, lines, calls, coordinator):
    html = coordinator.get(f"/anrufe?linie={lines[1].id}").get_data(as_text=True)
    assert shown(html) == [calls["running"].id, calls["senioren"].id]


def test_the_log_filters_by_partner(app, session, calls, coordinator):
    html = coordinator.get("/anrufe?partner=Berlin").get_data(as_text=True)
    assert shown(html) == [calls["voicemail"].id, calls["answered"].id]


def test_the_log_filters_by_local_dates_both_ends_included(app, session, calls, coordinator):
    html = coordinator.get("/anrufe?von=2030-01-08&bis=2030-01-09").get_data(as_text=True)
    assert shown(html) == [calls["senioren"].id, calls["voicemail"].id]


def test_a_call_just_after_local_midnight_belongs_to_that_day(app, session, lines, coordinator):
    # 23:30 UTC on the 7th is 00:30 on the 8th in Berlin
    late = add_call(session, lines[0], dt.datetime(2030, 1, 7, 23, 30, tzinfo=dt.UTC))
    assert shown(coordinator.get("/anrufe?von=2030-01-08&bis=2030-01-08").get_data(True)) == [
        late.id
    ]
    assert late.id not in shown(coordinator.get("/anrufe?bis=2030-01-07").get_data(True))


@pytest.mark.parametrize(("outcome", "key"), [("voicemail", "voicemail"), ("running", "running")])
def test_the_log_filters_by_outcome(app, session, calls, coordinator, outcome, key):
    html = coordinator.get(f"/anrufe?ergebnis={outcome}").get_data(as_text=True)
    assert shown(html) == [calls[key].id]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("von=7.1.2030", "Bitte geben Sie das Datum als TT.MM.JJJJ an."),
        ("von=2030-01-09&bis=2030-01-08", "Das Enddatum liegt vor dem Anfangsdatum."),
        ("ergebnis=gewonnen", "Bitte wählen Sie ein Ergebnis aus der Liste."),
        ("linie=abc", "Bitte wählen Sie eine Linie aus der Liste."),
    ],
)
def test_bad_filters_get_a_german_message(app, session, calls, coordinator, query, message):
    response = coordinator.get(f"/anrufe?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_the_log_is_paginated(app, session, lines, coordinator):
    made = [
        add_call(session, lines[0], BERLIN_NOON + dt.timedelta(minutes=i))
        for i in range(PAGE_SIZE + 1)
    ]
    first = coordinator.get("/anrufe").get_data(as_text=True)
    assert len(shown(first)) == PAGE_SIZE and "Seite 1 von 2" in first
    assert 'href="/anrufe?seite=2"' in first
    second = coordinator.get("/anrufe?seite=2").get_data(as_text=True)
    assert shown(second) == [made[0].id]


def test_filters_carry_over_to_the_next_page_and_the_export(app, session, lines, coordinator):
    for i in range(PAGE_SIZE + 1):
        add_call(session, lines[1], BERLIN_NOON + dt.timedelta(minutes=i))
    html = coordinator.get(f"/anrufe?linie={lines[1].id}").get_data(as_text=True)
    assert f'href="/anrufe?seite=2&amp;linie={lines[1].id}"' in html
    assert f'href="/anrufe/export.csv?linie={lines[1].id}"' in html


# -- the caller's number ---------------------------------------------------------------------


def _number_call(session, line, days_ago: int, number: str | None = "+4917612345678"):  # noqa: ANN001, ANN202
    started = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    return add_call(session, line, started, caller_number=number, outcome=CallOutcome.ANSWERED)


def test_coordinators_see_a_retained_number_in_full(app, session, lines, coordinator):
    _number_call(session, lines[0], 1)
    assert "+4917612345678" in coordinator.get("/anrufe").get_data(as_text=True)


def test_planners_see_the_number_masked(app, session, lines):
    _number_call(session, lines[0], 1)
    html = signed_in(app, session, Role.PLANNER).get("/anrufe").get_data(as_text=True)
    assert "+4917612345678" not in html and "+49176******78" in html


def test_a_number_past_its_retention_is_masked_even_before_the_purge(
    app, session, lines, coordinator
):
    _number_call(session, lines[0], app.config["CALLER_NUMBER_RETENTION_DAYS"] + 1)
    html = coordinator.get("/anrufe").get_data(as_text=True)
    assert "+4917612345678" not in html and "+49176******78" in html


def test_a_forgotten_number_shows_a_dash(app, session, lines, coordinator):
    call = _number_call(session, lines[0], 40, number=None)
    row = coordinator.get("/anrufe").get_data(as_text=True).split(f'data-call="{call.id}"')[1]
    assert "<td>–</td>" in row.split("</tr>")[0]


# -- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.MEMBER])
def test_operators_and_members_may_not_read_the_log(app, session, role):
    client = signed_in(app, session, role)
    assert client.get("/anrufe").status_code == 403
    assert client.get("/anrufe/export.csv").status_code == 403


def test_the_log_is_in_the_navigation_of_planners(app, session):
    html = signed_in(app, session, Role.PLANNER).get("/heute").get_data(as_text=True)
    assert 'href="/anrufe"' in html


# -- CSV export --------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:  # noqa: ANN001
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.data
    assert raw.startswith("\ufeff".encode())  # UTF-8 with BOM: German Excel reads umlauts
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_the_export_has_german_headings_and_the_filtered_calls(app, session, calls, coordinator):
    rows = _csv(coordinator.get("/anrufe/export.csv?partner=Berlin"))
    assert rows[0] == [
        "Beginn",
        "Linie",
        "Partner",
        "Anrufernummer",
        "Sprache",
        "Ergebnis",
        "Wartezeit (s)",
        "Dauer (s)",
        "Angenommen von",
        "Nachricht",
        "Zurückgerufen am",
    ]
    assert [r[0] for r in rows[1:]] == ["08.01.2030 12:00:00", "07.01.2030 12:00:00"]
    assert [r[5] for r in rows[1:]] == ["Nachricht hinterlassen", "angenommen"]
    assert rows[2][1:3] == ["Heimwegtelefon", "Berlin"] and rows[2][7] == "120"


def test_the_export_masks_numbers_as_the_page_does(app, session, lines):
    _number_call(session, lines[0], 1)
    planner_rows = _csv(signed_in(app, session, Role.PLANNER).get("/anrufe/export.csv"))
    # "+" starts a formula in a spreadsheet: the number is marked as text ('), read back as is
    assert planner_rows[1][3] == "'+49176******78"
    coordinator_rows = _csv(signed_in(app, session, Role.COORDINATOR).get("/anrufe/export.csv"))
    assert restore(coordinator_rows[1][3]) == "+4917612345678"


def test_the_export_cannot_be_turned_into_formulas(app, session, coordinator):
    line = make_line(
        session, number="+4930120009", name='=HYPERLINK("https://evil.example")', partner="+Partner"
    )
    add_call(session, line)
    row = _csv(coordinator.get("/anrufe/export.csv"))[1]
    assert row[1] == '\'=HYPERLINK("https://evil.example")' and row[2] == "'+Partner"


def test_an_export_with_a_bad_filter_goes_back_to_the_log_with_the_message(
    app, session, coordinator
):
    response = coordinator.get("/anrufe/export.csv?von=gestern")
    assert response.status_code == 302 and response.location.startswith("/anrufe?")
    page = coordinator.get(response.location).get_data(as_text=True)
    assert "Bitte geben Sie das Datum als TT.MM.JJJJ an." in page
