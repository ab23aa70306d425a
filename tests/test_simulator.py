"""The terminal call simulator plays a flow through the real webhooks and leaves no trace."""

from sqlalchemy import select

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
