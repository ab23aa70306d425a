"""Every personal field has a retention a job enforces; the record of processing in
docs/data-protection.md is what the rules in the code say; one person's data can be
exported and erased."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from dispatch.models import Helper, HelperStatus, IntakeDraft, Signup, Ticket, TicketStatus
from hotline.core.models import InboundMessage, LoginFailure, OptOut, utcnow
from hotline.core.oncall.models import Availability, Operator
from hotline.core.registry import registry
from hotline.core.retention import erase_person, export_person, purge, render_docs
from hotline.rosters.models import ShiftAudit
from hotline.voice.models import Call
from tests.conftest import make_line, make_operator
from tests.dispatch_support import configure, make_helper, make_ticket

DOCS = Path(__file__).resolve().parent.parent / "docs" / "data-protection.md"
LONG_AGO = utcnow() - dt.timedelta(days=3000)
PERSON = "+4915199988877"


def test_the_data_protection_table_is_what_the_retention_rules_say(app):
    with app.app_context():
        expected = render_docs(registry().retention_rules)
    assert DOCS.read_text(encoding="utf-8") == expected, (
        "docs/data-protection.md is out of date: scripts/rufbereit privacy docs > "
        "docs/data-protection.md"
    )


def test_every_rule_names_a_table_that_exists(app, engine):
    from sqlalchemy import inspect

    tables = set(inspect(engine).get_table_names())
    with app.app_context():
        for rule in registry().retention_rules:
            assert rule.table in tables, rule.name


def _seed_everything_old(app, session, phone):  # noqa: ANN001, ANN202
    configure(app)
    line = make_line(session)
    operator = make_operator(session)
    with app.app_context():
        ticket = make_ticket(session, window_start=LONG_AGO)
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = LONG_AGO
    ticket.recording_url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9"
    helper = make_helper(session, status=HelperStatus.OPTED_OUT)
    helper.created_at = LONG_AGO
    session.add_all(
        [
            Call(
                call_sid="CAprivacy",
                line_id=line.id,
                caller_hash="h",
                caller_number=phone,
                recording_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE8",
                started_at=LONG_AGO,
            ),
            InboundMessage(message_sid="SMprivacy", received_at=LONG_AGO, reply="Erika, 0152…"),
            LoginFailure(username="anna", address="203.0.113.9", at=LONG_AGO),
            Availability(
                operator_id=operator.id,
                line_id=line.id,
                started_at=LONG_AGO,
                until=LONG_AGO + dt.timedelta(hours=1),
            ),
            ShiftAudit(shift_id=None, action="create", actor="Anna Planerin", at=LONG_AGO),
            Signup(
                phone=phone,
                code_hash="x",
                profile={"name": "Neu"},
                expires_at=LONG_AGO,
                created_at=LONG_AGO,
            ),
            IntakeDraft(
                call_sid="CAintake",
                line_number=line.number,
                caller_number=phone,
                callback=phone,
                created_at=LONG_AGO,
            ),
        ]
    )
    session.flush()
    return ticket, helper


def test_purge_with_everything_backdated_removes_every_personal_field(app, session, phone):
    ticket, helper = _seed_everything_old(app, session, "+4915100011122")
    with app.app_context():
        lines = purge(session)
    session.flush()
    session.expire_all()
    assert len(lines) == len([r for r in registry(app).retention_rules if r.apply])
    # calls: number emptied, recording deleted at the provider, the hash stays
    call = session.scalar(select(Call).where(Call.call_sid == "CAprivacy"))
    assert call.caller_number is None and call.recording_url is None and call.caller_hash == "h"
    assert session.scalars(select(InboundMessage)).all() == []
    assert session.scalars(select(LoginFailure)).all() == []
    assert session.scalars(select(Availability)).all() == []
    assert session.scalars(select(ShiftAudit)).all() == []
    assert session.scalars(select(Signup)).all() == []
    assert session.scalars(select(IntakeDraft)).all() == []
    kept = session.get(Ticket, ticket.id)
    assert (kept.requester_phone, kept.requester_first_name, kept.address) == (None, "", "")
    assert (kept.description, kept.recording_url) == ("", None)
    assert session.get(Helper, helper.id) is None


def test_data_still_within_its_retention_stays(app, session):
    configure(app)
    line = make_line(session)
    session.add(
        Call(
            call_sid="CAfresh",
            line_id=line.id,
            caller_hash="h",
            caller_number=PERSON,
            started_at=utcnow(),
        )
    )
    session.flush()
    with app.app_context():
        purge(session)
    session.expire_all()
    assert session.scalar(select(Call.caller_number).where(Call.call_sid == "CAfresh")) == PERSON


def _someone_in_every_role(app, session):  # noqa: ANN001, ANN202
    configure(app)
    line = make_line(session)
    make_operator(session, phone=PERSON, name="Pat Beides")
    make_helper(session, phone=PERSON, name="Pat Beides")
    with app.app_context():
        make_ticket(session, requester_phone=PERSON, requester_first_name="Pat")
    session.add(Call(call_sid="CApat", line_id=line.id, caller_hash="h", caller_number=PERSON))
    session.add(OptOut(phone_number=PERSON, source="sms"))
    session.flush()


def test_export_gathers_everything_kept_about_one_number(app, session):
    _someone_in_every_role(app, session)
    with app.app_context():
        found = export_person(session, PERSON)
    assert set(found) == {"calls", "operator", "dispatch", "opt_outs"}
    assert "Pat Beides" in json.dumps(found, default=str)


def test_erase_leaves_nothing_of_the_number_but_its_opt_out(app, session):
    _someone_in_every_role(app, session)
    with app.app_context():
        erase_person(session, PERSON)
        session.flush()
        session.expire_all()
        left = export_person(session, PERSON)
    assert set(left) == {"opt_outs"}  # kept: otherwise the number would be texted again
    assert session.scalar(select(Operator).where(Operator.phone_number == PERSON)) is None


def test_the_privacy_commands_export_and_erase_by_number(app, session, monkeypatch):
    from hotline import cli

    _someone_in_every_role(app, session)
    monkeypatch.setattr(cli, "create_app", lambda: app)
    exported = CliRunner().invoke(cli.main, ["privacy", "export", "0151 99988877"])
    assert exported.exit_code == 0, exported.output
    assert "Pat Beides" in exported.output
    erased = CliRunner().invoke(cli.main, ["privacy", "erase", PERSON, "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "operator: 1" in erased.output
