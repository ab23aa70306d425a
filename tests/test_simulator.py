"""The terminal call simulator plays a flow through the real webhooks and leaves no trace."""

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline import cli
from hotline.voice.models import Call
from hotline.voice.simulator import Simulator
from tests.conftest import make_line, make_operator, make_shift


def simulate(app, number, answers, connection):
    replies = iter(answers)
    shown: list[str] = []
    Simulator(
        app, number, ask=lambda prompt: next(replies), show=shown.append, connection=connection
    ).run()
    return "\n".join(shown)


def committed_line(session, **kw):
    line = make_line(session, **kw)
    make_shift(session, make_operator(session, name="Anna"), line)
    session.commit()
    return line


def test_simulated_call_is_heard_and_connected(app, session, connection):
    committed_line(session)
    out = simulate(app, "+4930120000", ["1", "1", "1", "1"], connection)
    assert "Willkommen beim Heimwegtelefon" in out
    assert "1. Anna (+49151" in out
    assert "(Anna hears) Anruf für Heimwegtelefon" in out
    assert "connected to Anna" in out


def test_simulated_mailbox_moves_on_to_the_overflow(app, session, connection):
    committed_line(session, queue_timeout=0)
    out = simulate(app, "+4930120000", ["1", "1", "v1", "Hallo, bitte zurückrufen"], connection)
    assert "mailbox" in out
    assert "hinterlassen Sie nach dem Signalton" in out
    assert "Vielen Dank für Ihre Nachricht" in out


def test_simulation_writes_nothing(app, session, connection):
    committed_line(session)
    simulate(app, "+4930120000", ["1", "1", "1", "1"], connection)
    session.expire_all()
    assert session.scalar(select(Call)) is None


def test_simulating_an_unknown_number_says_so(app, connection):
    assert "No line has the number +4930555555" in simulate(app, "+4930555555", [], connection)


# -- playing the call as at a chosen time (--at) -------------------------------------------------

#: Wednesday 11 March 2026, local time on the line (Europe/Berlin).
EVENING = dt.datetime(2026, 3, 11, 21, 0)
MORNING = dt.datetime(2026, 3, 11, 10, 0)


def evening_line(session):
    """Open Wednesdays 20:00-24:00, Anna on shift 20:00-24:00 that day."""
    line = make_line(session, hours={"wed": ["20:00-00:00"]})
    make_shift(
        session, make_operator(session, name="Anna"), line, start=dt.datetime(2026, 3, 11, 20, 0)
    )
    session.commit()
    return line


def simulate_at(app, at, answers, connection):
    replies = iter(answers)
    shown: list[str] = []
    Simulator(
        app,
        "+4930120000",
        ask=lambda prompt: next(replies),
        show=shown.append,
        connection=connection,
        at=at,
    ).run()
    return "\n".join(shown)


def test_at_a_time_inside_opening_hours_the_call_rings_who_is_on_shift_then(
    app, session, connection
):
    evening_line(session)
    out = simulate_at(app, EVENING, ["1", "1", "1", "1"], connection)
    assert "Playing the call as at 2026-03-11 21:00 (Europe/Berlin)" in out
    assert "1. Anna (+49151" in out
    assert "ist gerade nicht besetzt" not in out


def test_at_a_time_outside_opening_hours_the_caller_hears_the_line_is_closed(
    app, session, connection
):
    evening_line(session)
    out = simulate_at(app, MORNING, [], connection)
    assert "Das Heimwegtelefon ist gerade nicht besetzt" in out
    assert "Anna" not in out


def test_the_clock_is_the_real_one_again_after_the_simulated_call(app, session, connection):
    evening_line(session)
    simulate_at(app, MORNING, [], connection)
    assert app.config.get("CLOCK") is None


def test_simulate_at_with_a_bad_time_says_how_to_write_it(app, monkeypatch):
    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["simulate", "+4930120000", "--at", "morgen früh"])
    assert result.exit_code == 2
    assert "JJJJ-MM-TT HH:MM" in result.output and "YYYY-MM-DD HH:MM" in result.output


# -- demo data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(2026, 3, 11, 19, 0, tzinfo=dt.UTC),  # Wednesday 20:00 Berlin, after closing
        dt.datetime(2026, 3, 14, 23, 0, tzinfo=dt.UTC),  # Sunday night
        dt.datetime(2026, 3, 12, 10, 30, tzinfo=dt.UTC),  # Thursday, open
    ],
)
def test_demo_shifts_on_the_help_line_lie_inside_its_opening_hours(app, session, now):
    from hotline.core.demo import load_demo
    from hotline.core.oncall.hours import line_is_open
    from hotline.core.oncall.models import Line, Shift
    from hotline.rosters.demo import DEMO_HELP_LINE

    with app.app_context():
        load_demo(session, now)
    line = session.scalar(select(Line).where(Line.number == DEMO_HELP_LINE))
    shifts = session.scalars(select(Shift).where(Shift.line_id == line.id)).all()
    assert shifts
    for shift in shifts:
        assert line_is_open(line, shift.starts_at)
        assert line_is_open(line, shift.ends_at - dt.timedelta(minutes=1))
        assert shift.ends_at > now
