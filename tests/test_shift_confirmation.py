"""Shift confirmation by SMS: an assigned shift is texted to its operator; OK confirms, NEIN
turns it into an open shift offered to the line's free operators, and of many simultaneous
NEHMEN exactly one wins."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.core.extensions import db
from hotline.core.models import OutboundMessage, Role, utcnow
from hotline.core.oncall.availability import set_available
from hotline.core.oncall.models import OperatorStatus, Shift
from hotline.rosters.audit import SYSTEM
from hotline.rosters.confirmations import (
    CONFIRM_KIND,
    OFFER_KIND,
    confirmation_wanted,
    offer_wanted,
    request_confirmation,
)
from hotline.rosters.models import (
    ConfirmationStatus,
    OpenShift,
    ShiftAudit,
    ShiftConfirmation,
)
from hotline.rosters.open_shifts import claim_open_shift, publish_open_shift
from hotline.rosters.shift_edits import add_shift
from tests.conftest import TwilioDriver, make_line, make_operator
from tests.roster_support import committed_app_fixture, login, make_user, post  # noqa: F401

LINE_NUMBER = "+4930120000"
_sids = itertools.count(1)


def text(twilio, sender: str, body: str, sid: str | None = None) -> str:
    """A text to the line's number (its own MessageSid unless ``sid`` repeats one)."""
    sid = sid or f"SMC{next(_sids):031d}"
    doc = twilio.twiml("/twilio/sms", From=sender, To=LINE_NUMBER, Body=body, MessageSid=sid)
    return "".join(m.text or "" for m in doc.iter("Message"))


def in_days(line, days: int, hour: int = 20) -> dt.datetime:
    """A naive wall-clock time ``days`` from today in the line's zone."""
    today = dt.datetime.now(ZoneInfo(line.timezone)).date()
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour))


def assign(session, operator, line, days: int = 3, hours: int = 3) -> Shift:
    start = in_days(line, days)
    shift = add_shift(
        session, SYSTEM, operator.id, line.id, start, start + dt.timedelta(hours=hours)
    )
    request_confirmation(session, shift)
    session.flush()
    return shift


def messages(session, kind: str) -> list[OutboundMessage]:
    return list(
        session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == kind).order_by(OutboundMessage.id)
        )
    )


@pytest.fixture
def web_line(session):
    """The line for tests that sign in with a test client (which brings its own context)."""
    return make_line(session, number=LINE_NUMBER)


@pytest.fixture
def line(app, session):
    with app.app_context():  # the domain reads its settings from the app
        yield make_line(session, number=LINE_NUMBER)


# -- asking -----------------------------------------------------------------------------------


def test_a_shift_a_planner_assigns_is_texted_to_its_operator(app, session, web_line):
    line = web_line
    anna = make_operator(session, name="Anna")
    make_user(session, Role.PLANNER, username="paula")
    client = app.test_client()
    login(client, "paula")
    start = in_days(line, 3)
    response = post(
        client,
        "/dienstplan/schicht/neu",
        {
            "operator_id": str(anna.id),
            "line_id": str(line.id),
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    [message] = messages(session, CONFIRM_KIND)
    confirmation = session.scalar(select(ShiftConfirmation))
    assert message.to == anna.phone_number
    assert message.sender == line.number
    assert message.priority == "default"
    assert message.key == f"shift-confirm:{confirmation.shift_id}:{anna.id}"
    assert f"{start:%d.%m. %H:%M}–{start + dt.timedelta(hours=3):%H:%M} Heimwegtelefon" in (
        message.body
    )
    assert f"OK {confirmation.code}" in message.body
    assert confirmation.status == ConfirmationStatus.PENDING


def test_asking_twice_for_one_shift_queues_one_text(session, line):
    shift = assign(session, make_operator(session), line)
    request_confirmation(session, shift)
    assert len(messages(session, CONFIRM_KIND)) == 1


def test_an_open_shift_an_operator_claims_is_not_asked_about(session, line):
    anna = make_operator(session)
    start = in_days(line, 3)
    slot = publish_open_shift(session, line.id, start, start + dt.timedelta(hours=3))
    claim_open_shift(session, slot.id, anna.id, SYSTEM)
    assert messages(session, CONFIRM_KIND) == []


def test_handing_a_shift_to_someone_else_asks_them(app, session, web_line):
    line = web_line
    anna, ben = make_operator(session), make_operator(session)
    make_user(session, Role.PLANNER, username="paula")
    start = in_days(line, 4)
    shift = add_shift(session, SYSTEM, anna.id, line.id, start, start + dt.timedelta(hours=2))
    client = app.test_client()
    login(client, "paula")
    post(
        client,
        f"/dienstplan/schicht/{shift.id}",
        {
            "operator_id": str(ben.id),
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert [m.to for m in messages(session, CONFIRM_KIND)] == [ben.phone_number]


def test_shifts_beyond_the_confirmation_horizon_are_not_asked_about(app, session, line):
    days = app.config["SHIFT_CONFIRMATION_DAYS"]
    assign(session, make_operator(session), line, days=days + 2)
    assert messages(session, CONFIRM_KIND) == []


# -- OK ---------------------------------------------------------------------------------------


def test_ok_confirms_the_shift(twilio, session, line):
    anna = make_operator(session)
    assign(session, anna, line)
    reply = text(twilio, anna.phone_number, "OK")
    assert reply.startswith("Danke, bestätigt:")
    confirmation = session.scalar(select(ShiftConfirmation))
    session.refresh(confirmation)
    assert confirmation.status == ConfirmationStatus.CONFIRMED
    assert confirmation.confirmed_at is not None
    assert session.scalar(select(ShiftAudit).where(ShiftAudit.action == "confirm")) is not None


def test_ok_with_nothing_to_confirm_says_so_in_the_operators_language(twilio, session, line):
    ben = make_operator(session, languages=["en"])
    assert text(twilio, ben.phone_number, "ok") == "No shift is waiting for your confirmation."


def test_a_confirmed_shift_is_not_texted_any_more(app, session, line):
    anna = make_operator(session)
    assign(session, anna, line)
    [message] = messages(session, CONFIRM_KIND)
    assert confirmation_wanted(session, message, utcnow()) is None
    TwilioDriver(app).twiml(
        "/twilio/sms", From=anna.phone_number, To=LINE_NUMBER, Body="OK", MessageSid="SM" + "7" * 32
    )
    assert confirmation_wanted(session, message, utcnow()) == "already answered"


# -- NEIN -------------------------------------------------------------------------------------


@pytest.fixture
def colleagues(session, line):
    """Who is and who is not offered a shift Anna declines on ``line``."""
    other_line = make_line(session, number="+4930999999", name="Andere Linie")
    people = {
        "anna": make_operator(session, name="Anna"),
        "ben": make_operator(session, name="Ben"),  # on this line before, free then
        "cem": make_operator(session, name="Cem", languages=["en"]),  # AN on this line
        "dora": make_operator(session, name="Dora"),  # only on another line
        "emil": make_operator(session, name="Emil"),  # on this line, but busy then
        "fay": make_operator(session, name="Fay", status=OperatorStatus.PAUSED),
    }
    for name in ("ben", "emil", "fay"):
        start = in_days(line, 1, hour=8)
        add_shift(session, SYSTEM, people[name].id, line.id, start, start + dt.timedelta(hours=2))
    set_available(session, people["cem"].id, line.id, 1)
    start = in_days(line, 1, hour=8)
    add_shift(
        session, SYSTEM, people["dora"].id, other_line.id, start, start + dt.timedelta(hours=2)
    )
    busy = in_days(line, 3, hour=19)
    add_shift(session, SYSTEM, people["emil"].id, other_line.id, busy, busy + dt.timedelta(hours=3))
    session.flush()
    return people


def test_nein_turns_the_shift_into_an_open_shift_offered_to_the_suitable_operators(
    twilio, session, line, colleagues
):
    anna = colleagues["anna"]
    shift = assign(session, anna, line)
    shift_id, start = shift.id, shift.local_start
    reply = text(twilio, anna.phone_number, "NEIN")
    session.expire_all()
    assert reply.startswith("Schade, abgesagt:")
    assert session.get(Shift, shift_id) is None
    slot = session.scalar(select(OpenShift))
    assert (slot.line_id, slot.local_start, slot.declined_by_id) == (line.id, start, anna.id)
    assert slot.claimed_by_id is None and len(slot.code) == 4
    offers = messages(session, OFFER_KIND)
    assert sorted(m.to for m in offers) == sorted(
        colleagues[n].phone_number for n in ("ben", "cem")
    )
    assert {m.priority for m in offers} == {"bulk"}
    by_person = {m.to: m.body for m in offers}
    assert f"NEHMEN {slot.code}" in by_person[colleagues["ben"].phone_number]
    assert f"TAKE {slot.code}" in by_person[colleagues["cem"].phone_number]
    assert session.scalar(select(ShiftAudit).where(ShiftAudit.action == "decline")) is not None


def test_no_declines_in_english(twilio, session, line):
    ben = make_operator(session, languages=["en"])
    assign(session, ben, line)
    assert text(twilio, ben.phone_number, "No").startswith("Declined:")


def test_nein_with_several_shifts_waiting_asks_which_and_declines_the_one_named(
    twilio, session, line
):
    anna = make_operator(session)
    first, second = assign(session, anna, line, days=3), assign(session, anna, line, days=5)
    codes = {c.shift_id: c.code for c in session.scalars(select(ShiftConfirmation))}
    reply = text(twilio, anna.phone_number, "NEIN")
    assert reply.startswith("Welche Schicht?") and codes[first.id] in reply
    assert session.scalar(select(OpenShift)) is None
    second_id = second.id
    text(twilio, anna.phone_number, f"nein {codes[second_id].lower()}")
    session.expire_all()
    assert session.get(Shift, second_id) is None
    assert session.get(Shift, first.id) is not None


def test_a_repeated_webhook_declines_and_offers_once(twilio, session, line, colleagues):
    anna = colleagues["anna"]
    assign(session, anna, line)
    sid = "SM" + "5" * 32
    first = text(twilio, anna.phone_number, "NEIN", sid=sid)
    again = text(twilio, anna.phone_number, "NEIN", sid=sid)
    assert again == first
    assert len(list(session.scalars(select(OpenShift)))) == 1
    assert len(messages(session, OFFER_KIND)) == 2


def test_offers_are_not_sent_once_the_shift_is_taken(twilio, session, line, colleagues):
    assign(session, colleagues["anna"], line)
    text(twilio, colleagues["anna"].phone_number, "NEIN")
    slot = session.scalar(select(OpenShift))
    offer = messages(session, OFFER_KIND)[0]
    assert offer_wanted(session, offer, utcnow()) is None
    text(twilio, colleagues["ben"].phone_number, f"NEHMEN {slot.code}")
    session.expire_all()
    assert offer_wanted(session, offer, utcnow()) == "open shift taken"


# -- NEHMEN -----------------------------------------------------------------------------------


def test_nehmen_gives_the_open_shift_to_the_operator(twilio, session, line, colleagues):
    assign(session, colleagues["anna"], line)
    text(twilio, colleagues["anna"].phone_number, "NEIN")
    slot = session.scalar(select(OpenShift))
    reply = text(twilio, colleagues["cem"].phone_number, f"TAKE {slot.code}")
    assert reply.startswith("Thank you! The shift")
    session.refresh(slot)
    assert slot.claimed_by_id == colleagues["cem"].id
    assert session.get(Shift, slot.shift_id).operator_id == colleagues["cem"].id
    late = text(twilio, colleagues["ben"].phone_number, f"NEHMEN {slot.code}")
    assert late == "Diese Schicht ist schon vergeben. Danke trotzdem!"


def test_nehmen_with_an_unknown_code_or_none_says_so(twilio, session, line):
    anna = make_operator(session)
    assert text(twilio, anna.phone_number, "NEHMEN ZZZZ").startswith("Diesen Code kennen wir nicht")
    assert text(twilio, anna.phone_number, "NEHMEN").startswith("Bitte mit dem Code")


def test_nehmen_while_on_another_shift_then_is_refused_and_leaves_the_shift_open(
    twilio, session, line, colleagues
):
    assign(session, colleagues["anna"], line)
    text(twilio, colleagues["anna"].phone_number, "NEIN")
    slot = session.scalar(select(OpenShift))
    reply = text(twilio, colleagues["emil"].phone_number, f"NEHMEN {slot.code}")
    assert reply.startswith("Sie können diese Schicht nicht übernehmen")
    session.refresh(slot)
    assert slot.claimed_by_id is None


def test_twenty_simultaneous_nehmen_give_the_shift_to_exactly_one(committed_app):
    contenders = 20
    with committed_app.app_context():
        setup = db.new_session()
        line = make_line(setup, number=LINE_NUMBER)
        phones = [make_operator(setup).phone_number for _ in range(contenders)]
        start = in_days(line, 3)
        slot = publish_open_shift(setup, line.id, start, start + dt.timedelta(hours=3))
        slot.code = "K7MX"
        slot_id = slot.id
        setup.commit()
        setup.close()

    barrier = threading.Barrier(contenders)
    replies: dict[str, str] = {}

    def take(n: int, phone: str) -> None:
        driver = TwilioDriver(committed_app)
        barrier.wait(timeout=10)
        replies[phone] = text(driver, phone, "NEHMEN K7MX", sid=f"SMT{n:031d}")

    threads = [threading.Thread(target=take, args=(n, p)) for n, p in enumerate(phones)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(replies) == contenders
    winners = [p for p, r in replies.items() if r.startswith("Danke! Die Schicht")]
    losers = [
        p for p, r in replies.items() if r == "Diese Schicht ist schon vergeben. Danke trotzdem!"
    ]
    assert len(winners) == 1
    assert len(losers) == contenders - 1
    with committed_app.app_context():
        check = db.new_session()
        shifts = list(check.scalars(select(Shift)))
        assert [s.operator.phone_number for s in shifts] == winners
        assert check.get(OpenShift, slot_id).shift_id == shifts[0].id
        check.close()


# -- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        (["de"], "OK (Schicht bestätigen), NEIN (Schicht absagen), NEHMEN <Code>"),
        (["en"], "OK (confirm a shift), NO (decline a shift), TAKE <code>"),
    ],
)
def test_unknown_words_still_get_help_which_names_the_new_keywords(
    twilio, session, line, languages, expected
):
    anna = make_operator(session, languages=languages)
    assert expected in text(twilio, anna.phone_number, "Hä?")


def test_nein_with_nothing_waiting_is_left_to_the_other_routes(twilio, session, line):
    """On a number shared with dispatch, NEIN may answer a helper's offer; an operator
    with no shift waiting is not answered by the rosters."""
    from hotline.rosters.confirmations import answer

    anna = make_operator(session)
    assert answer(session, anna, "decline", "de", ["NEIN"]) is None
