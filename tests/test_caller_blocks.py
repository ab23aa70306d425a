"""Abusive callers and floods, from the caller's side: an operator texts SPERREN after a
call and that caller's next calls to the line hear one short message and ring nobody, until
the block ends or a coordinator lifts it; a caller over the hourly limit is cut the same way.
Every call is a signed webhook, every text goes through the SMS webhook."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline import cli
from hotline.core.blocks import BlockAction, BlockAudit, CallerBlock
from hotline.core.models import Role, utcnow
from hotline.voice.models import Call, CallOutcome
from tests.call_support import LINE_NUMBER, caller, sid, talk, text, to_route
from tests.conftest import TwilioDriver, make_line, make_operator, make_shift, say_texts
from tests.roster_support import login, make_user, post

MOLESTER = "+4917611111111"
SOMEONE_ELSE = "+4917622222222"
BLOCKED_DE = "Dieser Anschluss kann Heimwegtelefon zurzeit nicht erreichen. Auf Wiederhören."


def is_refused(doc) -> bool:  # noqa: ANN001
    """The caller heard the short message and was hung up on; nobody was rung."""
    return (
        say_texts(doc)[:1] == [BLOCKED_DE]
        and doc.find("Dial") is None
        and doc.find("Gather") is None
        and doc[-1].tag == "Hangup"
    )


def last_call(session) -> Call:
    session.expire_all()
    return session.scalar(select(Call).order_by(Call.id.desc()).limit(1))


@pytest.fixture
def line(session):
    return make_line(session, number=LINE_NUMBER)


@pytest.fixture
def bernd(session, line):
    operator = make_operator(session, name="Bernd", phone="+4915100000001")
    make_shift(session, operator, line)
    return operator


@pytest.fixture
def blocked(app, session, bernd):
    """Bernd took a call from the molester and texted SPERREN afterwards."""
    talk(app, MOLESTER, bernd)
    reply = text(app, bernd.phone_number, "SPERREN")
    assert reply.startswith("Die Person Ihres letzten Anrufs auf Heimwegtelefon ist bis")
    return session.scalar(select(CallerBlock))


def test_after_sperren_the_last_caller_is_not_routed_and_hears_the_message(app, session, blocked):
    doc = caller(app, MOLESTER).twiml("/twilio/voice")
    assert is_refused(doc)
    assert last_call(session).outcome == CallOutcome.BLOCKED


def test_a_block_keeps_the_caller_off_the_menu_and_the_ringing_too(app, session, blocked):
    twilio = caller(app, MOLESTER)
    assert is_refused(twilio.twiml("/twilio/voice"))
    assert "Dial" not in {el.tag for el in twilio.twiml("/twilio/voice")}  # a retried webhook


def test_another_caller_is_still_routed(app, session, blocked, bernd):
    dial = to_route(caller(app, SOMEONE_ELSE)).find("Dial")
    assert [n.text for n in dial.findall("Number")] == [bernd.phone_number]


def test_block_in_english_blocks_the_last_caller_for_the_default_hours(app, session, bernd):
    talk(app, MOLESTER, bernd)
    before = utcnow()
    assert text(app, bernd.phone_number, "block").startswith("The caller of your last call")
    block = session.scalar(select(CallerBlock))
    hours = app.config["BLOCK_DEFAULT_HOURS"]
    assert before + dt.timedelta(hours=hours) <= block.until <= utcnow() + dt.timedelta(hours=hours)


def test_sperren_without_a_call_blocks_nobody(app, session, bernd):
    assert text(app, bernd.phone_number, "SPERREN").startswith("Kein Anruf zum Sperren")
    assert session.scalar(select(CallerBlock)) is None


def test_the_block_is_audited_with_who_line_and_until_but_no_number(app, session, blocked, line):
    entry = session.scalar(select(BlockAudit))
    assert (entry.action, entry.actor, entry.line_id, entry.block_id) == (
        BlockAction.BLOCKED,
        "Bernd (SMS)",
        line.id,
        blocked.id,
    )
    assert entry.until == blocked.until and entry.at is not None
    stored = [str(v) for row in (entry, blocked) for v in vars(row).values()]
    assert not any(MOLESTER in v or MOLESTER[1:] in v for v in stored)


def test_the_block_ends_when_it_expires(app, session, blocked, monkeypatch):
    later = blocked.until + dt.timedelta(minutes=1)
    monkeypatch.setattr("hotline.voice.webhooks.utcnow", lambda: later)
    doc = caller(app, MOLESTER).twiml("/twilio/voice")
    assert not is_refused(doc) and doc.find("Gather") is not None  # the flow's menu again


def test_a_block_on_one_line_leaves_the_caller_free_on_another(app, session, blocked):
    other = make_line(session, number="+4930120001", name="Nachtcafé")
    operator = make_operator(session, name="Clara")
    make_shift(session, operator, other)
    doc = TwilioDriver(app, call_sid=sid(), caller=MOLESTER, to=other.number).twiml("/twilio/voice")
    assert doc.find("Gather") is not None


def test_a_coordinator_sees_and_lifts_the_block_and_the_caller_is_routed_again(
    app, session, blocked, bernd
):
    make_user(session, Role.COORDINATOR, username="koordination")
    client = app.test_client()
    login(client, "koordination")
    page = client.get("/dienstplan/sperren").get_data(as_text=True)
    assert f"#{blocked.id}" in page and "Heimwegtelefon" in page and MOLESTER not in page

    post(client, f"/dienstplan/sperren/{blocked.id}/aufheben")

    dial = to_route(caller(app, MOLESTER)).find("Dial")
    assert [n.text for n in dial.findall("Number")] == [bernd.phone_number]
    lifted = session.scalar(select(BlockAudit).where(BlockAudit.action == BlockAction.LIFTED))
    assert lifted.actor == "Koordination (koordination)"


def test_a_coordinator_extends_the_block(app, session, blocked):
    make_user(session, Role.COORDINATOR, username="koordination")
    client = app.test_client()
    login(client, "koordination")
    until = blocked.until
    post(client, f"/dienstplan/sperren/{blocked.id}/verlaengern", {"hours": "48"})
    session.expire_all()
    assert session.get(CallerBlock, blocked.id).until == until + dt.timedelta(hours=48)
    extended = session.scalar(select(BlockAudit).where(BlockAudit.action == BlockAction.EXTENDED))
    assert extended.until == until + dt.timedelta(hours=48)


def test_planners_may_not_see_the_blocks(app, session, blocked):
    make_user(session, Role.PLANNER, username="planung")
    client = app.test_client()
    login(client, "planung")
    assert client.get("/dienstplan/sperren").status_code == 403


def test_the_command_line_lists_extends_and_lifts_blocks(app, session, blocked, monkeypatch):
    monkeypatch.setattr(cli, "create_app", lambda: app)

    def run(*args: str):  # noqa: ANN202
        result = CliRunner().invoke(cli.main, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    listed = run("block", "list")
    assert listed.startswith(f"{blocked.id}\tHeimwegtelefon\t") and MOLESTER not in listed
    until = blocked.until
    assert run("block", "extend", str(blocked.id), "--hours", "12").startswith(
        f"block {blocked.id} now until"
    )
    run("block", "lift", str(blocked.id))
    assert run("block", "list").strip() == "no active blocks"
    session.expire_all()
    actions = [e.action for e in session.scalars(select(BlockAudit).order_by(BlockAudit.id))]
    assert actions == [BlockAction.BLOCKED, BlockAction.EXTENDED, BlockAction.LIFTED]
    assert session.get(CallerBlock, blocked.id).until == until + dt.timedelta(hours=12)
    assert doc_is_routed(app)


def doc_is_routed(app) -> bool:
    return caller(app, MOLESTER).twiml("/twilio/voice").find("Gather") is not None


def test_the_call_after_the_hourly_limit_is_not_routed(app, session, bernd):
    app.config["CALLER_CALLS_PER_HOUR"] = 3
    for _ in range(3):
        assert caller(app, MOLESTER).twiml("/twilio/voice").find("Gather") is not None
    assert is_refused(caller(app, MOLESTER).twiml("/twilio/voice"))
    assert last_call(session).outcome == CallOutcome.BLOCKED
    # Someone else is not affected by the flood.
    assert caller(app, SOMEONE_ELSE).twiml("/twilio/voice").find("Gather") is not None


def test_the_limit_counts_a_sliding_hour(app, session, bernd, monkeypatch):
    app.config["CALLER_CALLS_PER_HOUR"] = 2
    for _ in range(2):
        caller(app, MOLESTER).twiml("/twilio/voice")
    later = utcnow() + dt.timedelta(minutes=61)
    monkeypatch.setattr("hotline.voice.webhooks.utcnow", lambda: later)
    assert caller(app, MOLESTER).twiml("/twilio/voice").find("Gather") is not None


def test_a_retried_entry_webhook_counts_once(app, session, bernd):
    app.config["CALLER_CALLS_PER_HOUR"] = 1
    twilio = caller(app, MOLESTER)
    twilio.twiml("/twilio/voice")
    assert twilio.twiml("/twilio/voice").find("Gather") is not None


def test_callers_who_withhold_their_number_are_never_flood_limited(app, session, bernd):
    app.config["CALLER_CALLS_PER_HOUR"] = 1
    for _ in range(3):
        assert caller(app, "anonymous").twiml("/twilio/voice").find("Gather") is not None
