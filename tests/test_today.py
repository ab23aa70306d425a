"""The Today page: every feature's panel on one page, each in its own section with its own
address that htmx polls; the figures equal the calls and shifts the test created; only
planners and coordinators open it, and coordinators see what only they may (voicemails,
tickets)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dispatch.models import OfferState
from dispatch.waves import create_offers
from hotline.core.models import MessageState, OutboundMessage, Role, utcnow
from hotline.core.oncall.availability import set_available
from hotline.core.oncall.shifts import create_shift
from hotline.core.registry import registry
from hotline.voice.models import Call, CallOutcome
from hotline.voice.today import day_start
from tests.call_support import LINE_NUMBER, caller, sid, talk, to_route
from tests.conftest import make_line, make_operator, make_shift
from tests.dispatch_support import configure, make_helper, make_ticket, offers
from tests.roster_support import csrf_token, login, make_user

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"


def signed_in(app, session, role: Role, operator=None):  # noqa: ANN001, ANN201
    user = make_user(session, role, operator=operator, username=f"{role.value}-today")
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    return client


def figures(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-figure="([^"]+)">(\d+)<', html)}


def earlier_today(now: dt.datetime) -> dt.datetime:
    """A moment today (local day) before ``now``, whatever the time of day."""
    start = day_start(now, "Europe/Berlin")
    return start + (now - start) / 2


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER, name="Heimwegtelefon")


@pytest.fixture
def anna(session, line):
    operator = make_operator(session, name="Anna Albers", phone="+4915100000021")
    make_shift(session, operator, line)
    return operator


@pytest.fixture
def coordinator(app, session):
    return signed_in(app, session, Role.COORDINATOR)


# -- the page and its panels ---------------------------------------------------------------------


def test_the_page_shows_each_panel_in_a_section_with_its_title(app, session, coordinator):
    page = coordinator.get("/heute")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for panel in registry(app).panels_for("today", "coordinator"):
        assert f'<section class="panel" id="panel-{panel.name}"' in html
    assert ">Jetzt im Dienst</h2>" in html
    assert ">Laufende Anrufe</h2>" in html
    assert ">Anrufe heute</h2>" in html
    assert ">Nachrichten zum Zurückrufen</h2>" in html
    assert ">Tickets, die eine Person brauchen</h2>" in html
    assert ">Lücken der nächsten 14 Tage</h2>" in html


def test_panels_that_refresh_poll_their_own_address_with_htmx(app, session, coordinator):
    html = coordinator.get("/heute").get_data(as_text=True)
    assert 'src="/static/vendor/htmx/htmx.min.js"' in html
    assert 'hx-get="/heute/running_calls" hx-trigger="every 10s" hx-swap="outerHTML"' in html
    assert 'hx-get="/heute/todays_calls" hx-trigger="every 60s"' in html
    assert 'id="panel-gaps" aria-labelledby="panel-gaps-title">' in html  # gaps: no polling
    assert coordinator.get("/static/vendor/htmx/htmx.min.js").status_code == 200


def test_a_panel_address_answers_its_section_alone(app, session, coordinator):
    response = coordinator.get("/heute/running_calls")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="panel" id="panel-running_calls"')
    assert "<html" not in html and 'hx-trigger="every 10s"' in html


def test_an_unknown_panel_is_404(app, session, coordinator):
    assert coordinator.get("/heute/gibt-es-nicht").status_code == 404


def test_planners_see_their_panels_but_not_voicemails_or_tickets(app, session):
    planner = signed_in(app, session, Role.PLANNER)
    html = planner.get("/heute").get_data(as_text=True)
    assert 'id="panel-on_shift"' in html and 'id="panel-todays_calls"' in html
    assert 'id="panel-voicemails"' not in html and 'id="panel-tickets"' not in html
    assert planner.get("/heute/voicemails").status_code == 403


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.MEMBER])
def test_operators_and_members_may_not_open_the_page(app, session, role):
    operator = make_operator(session) if role == Role.OPERATOR else None
    client = signed_in(app, session, role, operator=operator)
    assert client.get("/heute").status_code == 403
    assert client.get("/heute/on_shift").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(app):
    response = app.test_client().get("/heute")
    assert response.status_code == 302 and "/anmelden" in response.location


@pytest.mark.parametrize("role", [Role.PLANNER, Role.COORDINATOR])
def test_coordinators_and_planners_start_on_the_page(app, session, role):
    client = signed_in(app, session, role)
    assert client.get("/").location.endswith("/heute")
    nav = re.search(r"<nav aria-label=[^>]*>(.*?)</nav>", client.get("/heute").get_data(True), re.S)
    assert 'href="/heute"' in nav.group(1)


def test_a_failing_panel_shows_a_notice_and_the_others_still_render(app, session, coordinator):
    def broken(session, user, now):  # noqa: ANN001, ANN202
        raise RuntimeError("boom")

    registry(app).panel("today", "broken", "Kaputt", broken, "planner", order=1)
    page = coordinator.get("/heute")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "kann gerade nicht angezeigt werden" in html
    assert 'id="panel-on_shift"' in html


# -- figures equal what the test created -------------------------------------------------------------


def test_today_s_figures_equal_the_calls_the_test_made(app, session, coordinator, line, anna):
    talk(app, "+4917611111111", anna)  # answered, through signed webhooks
    now = utcnow()
    today = earlier_today(now)
    session.add_all(
        [
            Call(
                call_sid=sid(),
                line_id=line.id,
                caller_hash="a",
                started_at=today,
                ended_at=today,
                outcome=CallOutcome.VOICEMAIL,
                recording_url=RECORDING,
            ),
            Call(
                call_sid=sid(),
                line_id=line.id,
                caller_hash="b",
                started_at=today,
                ended_at=today,
                outcome=CallOutcome.ABANDONED,
            ),
            Call(
                call_sid=sid(),
                line_id=line.id,
                caller_hash="c",
                started_at=today,
                ended_at=today,
                outcome=CallOutcome.ABANDONED,
            ),
            # yesterday's call is not today's
            Call(
                call_sid=sid(),
                line_id=line.id,
                caller_hash="d",
                started_at=day_start(now, "Europe/Berlin") - dt.timedelta(hours=1),
                ended_at=day_start(now, "Europe/Berlin") - dt.timedelta(hours=1),
                outcome=CallOutcome.ANSWERED,
            ),
        ]
    )
    session.flush()

    counted = figures(coordinator.get("/heute/todays_calls").get_data(as_text=True))
    assert counted == {"total": 4, "answered": 1, "voicemail": 1, "abandoned": 2}


def test_calls_in_progress_and_callers_waiting_are_counted(app, session, coordinator, line, anna):
    now = utcnow()
    session.add_all(
        [
            Call(
                call_sid=sid(),
                line_id=line.id,
                caller_hash="q1",
                started_at=now - dt.timedelta(minutes=3),
                queued_at=now - dt.timedelta(minutes=2),
            ),
            Call(
                call_sid=sid(),
                line_id=line.id,
                caller_hash="q2",
                started_at=now - dt.timedelta(minutes=1),
                queued_at=now - dt.timedelta(seconds=30),
            ),
            Call(
                call_sid=sid(),
                line_id=line.id,
                caller_hash="t",
                answered_by_id=anna.id,
                started_at=now - dt.timedelta(minutes=5),
                answered_at=now - dt.timedelta(minutes=4),
            ),
            # over and done, and a call whose final status never came (a day old)
            Call(
                call_sid=sid(),
                line_id=line.id,
                caller_hash="e",
                started_at=now,
                ended_at=now,
                outcome=CallOutcome.ANSWERED,
            ),
            Call(
                call_sid=sid(),
                line_id=line.id,
                caller_hash="s",
                started_at=now - dt.timedelta(days=1),
            ),
        ]
    )
    bernd = make_operator(session, name="Bernd Brandt", phone="+4915100000022")
    make_shift(session, bernd, line)  # free to be rung (Anna is in a call)
    ringing = caller(app, "+4917622222222")
    to_route(ringing)  # in the menu, operators being rung

    html = coordinator.get("/heute/running_calls").get_data(as_text=True)
    assert figures(html) == {"running": 4, "waiting": 2}
    assert html.count('data-state="queued"') == 2
    assert html.count('data-state="bridged"') == 1 and "Anna Albers" in html
    assert html.count('data-state="ringing"') == 1
    assert "wartet 2:" in html  # the longest-waiting caller, minutes:seconds


def test_who_is_on_shift_now_per_line(app, session, coordinator, line, anna):
    other = make_line(session, number="+4930120001", name="Seniorentelefon")
    bernd = make_operator(session, name="Bernd Brandt", phone="+4915100000022")
    set_available(session, bernd.id, line.id, 2)  # texted AN
    later = make_operator(session, name="Clara Conrad", phone="+4915100000023")
    start = dt.datetime.now(ZoneInfo(line.timezone)).replace(tzinfo=None) + dt.timedelta(hours=5)
    create_shift(session, later.id, line.id, start, start + dt.timedelta(hours=2))
    session.flush()

    html = coordinator.get("/heute/on_shift").get_data(as_text=True)
    mine, theirs = html.split("Seniorentelefon")
    assert "Anna Albers" in mine and "Schicht bis" in mine
    assert "Bernd Brandt" in mine and "per SMS verfügbar bis" in mine
    assert "Clara Conrad" not in html  # later today is not now
    assert "Niemand im Dienst." in theirs
    assert other.name in html


def test_the_gaps_of_the_next_14_days_start_where_the_shifts_end(app, session, coordinator):
    line = make_line(session, number=LINE_NUMBER)  # open round the clock: one operator an hour
    operator = make_operator(session, name="Dora Dietz")
    local_now = dt.datetime.now(ZoneInfo(line.timezone)).replace(tzinfo=None)
    hour = local_now.replace(minute=0, second=0, microsecond=0)
    create_shift(session, operator.id, line.id, hour, hour + dt.timedelta(hours=3))
    session.flush()

    html = coordinator.get("/heute/gaps").get_data(as_text=True)
    spans = re.findall(r'<span class="gap-span">([^<]+)</span>', html)
    first_start = spans[0].split(" – ")[0]
    assert first_start == (hour + dt.timedelta(hours=3)).strftime("%d.%m.%Y %H:%M")
    assert "0 von 1 besetzt" in html
    last_end = dt.datetime.strptime(spans[-1].split(" – ")[1], "%d.%m.%Y %H:%M")
    assert last_end <= hour + dt.timedelta(days=14, hours=1)
    assert last_end >= hour + dt.timedelta(days=14) - dt.timedelta(hours=1)


def test_a_fully_staffed_fortnight_shows_no_gaps(app, session, coordinator):
    line = make_line(session, number=LINE_NUMBER, hours={"mon": []})  # never open
    session.flush()
    html = coordinator.get("/heute/gaps").get_data(as_text=True)
    assert line.name not in html and "Nichts zu tun." in html


# -- voicemails to call back ---------------------------------------------------------------------


def test_a_voicemail_has_a_listen_link_and_is_marked_called_back(app, session, coordinator, line):
    call = Call(
        call_sid=sid(),
        line_id=line.id,
        caller_hash="v",
        caller_number="+4917655555555",
        started_at=utcnow(),
        ended_at=utcnow(),
        outcome=CallOutcome.VOICEMAIL,
        recording_url=RECORDING,
        recording_seconds=42,
    )
    session.add(call)
    session.flush()

    html = coordinator.get("/heute/voicemails").get_data(as_text=True)
    assert f'href="/anrufe/{call.id}/aufnahme"' in html
    assert "+4917655555555" in html  # coordinators call back: the full number, still retained
    token = csrf_token(coordinator, "/heute")
    done = coordinator.post(f"/anrufe/{call.id}/zurueckgerufen", data={"csrf_token": token})
    assert done.status_code == 302 and done.location.endswith("/heute")

    session.refresh(call)
    assert call.callback_done_at is not None
    assert call.callback_done_by_id == session.scalar(
        select(Call.callback_done_by_id).where(Call.id == call.id)
    )
    assert call.callback_done_by_id is not None
    assert f'data-call="{call.id}"' not in coordinator.get("/heute/voicemails").get_data(True)


def test_marking_called_back_needs_a_coordinator_and_a_valid_form(app, session, line):
    call = Call(
        call_sid=sid(),
        line_id=line.id,
        caller_hash="v",
        outcome=CallOutcome.VOICEMAIL,
        recording_url=RECORDING,
    )
    session.add(call)
    session.flush()
    planner = signed_in(app, session, Role.PLANNER)
    token = csrf_token(planner, "/heute")
    assert (
        planner.post(f"/anrufe/{call.id}/zurueckgerufen", data={"csrf_token": token}).status_code
        == 403
    )
    session.refresh(call)
    assert call.callback_done_at is None


def test_marking_a_call_without_voicemail_is_404(app, session, coordinator, line):
    call = Call(call_sid=sid(), line_id=line.id, caller_hash="x", outcome=CallOutcome.ANSWERED)
    session.add(call)
    session.flush()
    token = csrf_token(coordinator, "/heute")
    response = coordinator.post(f"/anrufe/{call.id}/zurueckgerufen", data={"csrf_token": token})
    assert response.status_code == 404
    assert coordinator.post(f"/anrufe/{call.id}/zurueckgerufen").status_code == 400  # no token


# -- tickets that need a person ------------------------------------------------------------------


def test_tickets_that_need_a_person_by_reason(app, session, coordinator, monkeypatch):
    configure(app)
    zone = ZoneInfo(app.config.get("DISPATCH_TIMEZONE") or app.config["DEFAULT_TIMEZONE"])
    hour = utcnow().astimezone(zone).hour
    app.config.update(DISPATCH_QUIET_START=hour, DISPATCH_QUIET_END=(hour + 2) % 24)
    unfilled = make_ticket(session)
    unfilled.waves_sent = unfilled.max_waves + 1  # every wave out, time up
    waiting = make_ticket(session)  # quiet hours now: its next wave waits
    urgent = make_ticket(session, urgent=True)  # urgent tickets do not wait
    unreached = make_ticket(session)
    unreached.waves_sent = unreached.max_waves
    helper, other = make_helper(session, name="Hanna Hahn"), make_helper(session, name="Ida Imhof")
    with app.app_context():
        create_offers(session, unreached, [helper.id, other.id], 1, utcnow())
    first, second = offers(session, unreached)
    first.state = OfferState.UNREACHABLE
    message = session.scalars(
        select(OutboundMessage).where(OutboundMessage.refs["offer_id"].as_integer() == second.id)
    ).one()
    message.state = MessageState.UNCERTAIN
    session.flush()

    html = coordinator.get("/heute/tickets").get_data(as_text=True)
    assert f'data-ticket="{unfilled.reference}" data-reason="unfilled"' in html
    assert "0 von 1 zugesagt" in html
    assert f'data-ticket="{waiting.reference}" data-reason="quiet"' in html
    assert "Wartet auf das Ende der Ruhezeit (bis " in html
    assert f'data-ticket="{urgent.reference}"' not in html
    assert f'data-ticket="{unreached.reference}" data-reason="unreachable"' in html
    assert f'data-ticket="{unreached.reference}" data-reason="uncertain"' in html
    assert "Hanna Hahn" in html and "Ida Imhof" in html


def test_outside_quiet_hours_no_ticket_waits_for_them(app, session, coordinator):
    configure(app)
    app.config.update(DISPATCH_QUIET_START=0, DISPATCH_QUIET_END=0)  # no quiet hours
    ticket = make_ticket(session)
    html = coordinator.get("/heute/tickets").get_data(as_text=True)
    assert f'data-ticket="{ticket.reference}"' not in html
