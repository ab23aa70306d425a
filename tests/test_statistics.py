"""Statistics per line and partner: every figure of a seeded month (March 2026, with the
change to summer time on the 29th) equals what plain Python counts over the seeded calls;
the pages, the printable monthly report and ``rufbereit stats report`` show the same."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from hotline import cli
from hotline.core.models import Role
from hotline.core.phones import caller_hash
from hotline.voice.models import Call, CallOutcome
from hotline.voice.stats import Period, lines_for, report
from tests.conftest import make_line, make_operator, make_shift
from tests.roster_support import login, make_user

BERLIN = ZoneInfo("Europe/Berlin")
SALT = "test-salt"  # the tests' CALLER_HASH_SALT
MONTH = "2026-03"
ANONYMOUS = ""  # a withheld number


@dataclass
class Seeded:
    line: str
    local: dt.datetime  # aware, Europe/Berlin
    outcome: CallOutcome
    caller: str
    wait: int | None = None  # seconds to answer or to hanging up
    talk: int | None = None

    @property
    def start(self) -> dt.datetime:
        return self.local.astimezone(dt.UTC)


def _at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def _seeded_calls() -> list[Seeded]:
    rnd = random.Random(11)
    callers = [f"+4917612{n:05d}" for n in range(25)] + [ANONYMOUS]
    calls = []
    for _ in range(160):
        local = _at(rnd.randint(1, 31), rnd.randint(0, 23), rnd.randint(0, 59))
        if local.date() == dt.date(2026, 3, 29) and local.hour == 2:
            continue  # does not exist: clocks jump from 02:00 to 03:00
        outcome = rnd.choice(
            [CallOutcome.ANSWERED] * 5
            + [CallOutcome.ABANDONED] * 2
            + [CallOutcome.AFTER_HOURS, CallOutcome.VOICEMAIL, CallOutcome.BLOCKED]
        )
        wait = talk = None
        if outcome == CallOutcome.ANSWERED:
            wait, talk = rnd.randint(3, 90), rnd.randint(30, 1800)
        elif outcome == CallOutcome.ABANDONED:
            wait = rnd.randint(1, 200)
        calls.append(
            Seeded(rnd.choice(["Süd", "Nord"]), local, outcome, rnd.choice(callers), wait, talk)
        )
    # At the edges of the local month and around the change to summer time.
    calls += [
        Seeded("Süd", _at(1, 0, 15), CallOutcome.ANSWERED, callers[0], 10, 60),  # 28.02. UTC
        Seeded("Süd", _at(31, 23, 30), CallOutcome.ABANDONED, callers[1], 40),  # 21:30 UTC
        Seeded("Süd", _at(29, 1, 30), CallOutcome.ANSWERED, callers[2], 7, 100),  # CET
        Seeded("Nord", _at(29, 3, 30), CallOutcome.ANSWERED, callers[3], 8, 200),  # CEST
    ]
    return calls


#: Not in March, local time (though the first is in March in UTC+0 terms, nearly).
OUTSIDE = [
    Seeded("Süd", _at(28, 23, 30, month=2), CallOutcome.ANSWERED, "+4917699999901", 5, 50),
    Seeded("Süd", _at(1, 0, 30, month=4), CallOutcome.ANSWERED, "+4917699999902", 5, 50),
]


@pytest.fixture
def month(session):
    return seed_month(session)


def seed_month(session):  # noqa: ANN001, ANN201
    """Two lines of Wiesbaden and one of Mainz, a month of calls and some shifts."""
    lines = {
        "Süd": make_line(session, number="+4930120001", name="Süd", partner="Wiesbaden"),
        "Nord": make_line(session, number="+4930120002", name="Nord", partner="Wiesbaden"),
        "Mainz": make_line(session, number="+4930120003", name="Mainz", partner="Mainz"),
    }
    seeded = _seeded_calls()
    other = [Seeded("Mainz", _at(10, 12), CallOutcome.ANSWERED, "+4917612000001", 3, 30)]
    for n, s in enumerate(seeded + OUTSIDE + other):
        answered_at = ended_at = None
        if s.outcome == CallOutcome.ANSWERED:
            answered_at = s.start + dt.timedelta(seconds=s.wait)
            ended_at = answered_at + dt.timedelta(seconds=s.talk)
        elif s.outcome == CallOutcome.ABANDONED:
            ended_at = s.start + dt.timedelta(seconds=s.wait)
        else:
            ended_at = s.start + dt.timedelta(seconds=30)
        session.add(
            Call(
                call_sid=f"CA{n:032d}",
                line_id=lines[s.line].id,
                caller_hash=caller_hash(s.caller or "anonymous", SALT),
                caller_number=s.caller or None,
                started_at=s.start,
                answered_at=answered_at,
                ended_at=ended_at,
                wait_seconds=s.wait if s.outcome == CallOutcome.ANSWERED else None,
                outcome=s.outcome,
            )
        )
    operator = make_operator(session)
    shifts = [
        ("Süd", dt.datetime(2026, 3, 28, 22), dt.datetime(2026, 3, 29, 6)),  # 7 real hours
        ("Süd", dt.datetime(2026, 3, 31, 22), dt.datetime(2026, 4, 1, 4)),  # 2 in March
        ("Nord", dt.datetime(2026, 2, 28, 20), dt.datetime(2026, 3, 1, 2)),  # 2 in March
        ("Nord", dt.datetime(2026, 3, 10, 18), dt.datetime(2026, 3, 10, 22)),
        ("Mainz", dt.datetime(2026, 3, 10, 18), dt.datetime(2026, 3, 10, 22)),
    ]
    for line, start, end in shifts:
        make_shift(session, operator, lines[line], start, (end - start).total_seconds() / 3600)
    session.flush()
    return lines, seeded, shifts


def _wiesbaden(session):  # noqa: ANN001, ANN202
    return report(
        session,
        lines_for(session, partner="Wiesbaden"),
        Period.month(MONTH),
        caller_hash("anonymous", SALT),
    )


def _expected(calls: list[Seeded]) -> dict[str, object]:
    """The figures, counted in plain Python over the seeded calls."""
    outcomes = Counter(c.outcome for c in calls)
    offered = len(calls) - outcomes[CallOutcome.AFTER_HOURS] - outcomes[CallOutcome.BLOCKED]
    waits = sorted(
        c.wait for c in calls if c.outcome in (CallOutcome.ANSWERED, CallOutcome.ABANDONED)
    )
    per_caller = Counter(c.caller for c in calls if c.caller != ANONYMOUS)
    repeat = {number: n for number, n in per_caller.items() if n > 1}
    return {
        "calls": len(calls),
        "answered": outcomes[CallOutcome.ANSWERED],
        "abandoned": outcomes[CallOutcome.ABANDONED],
        "after_hours": outcomes[CallOutcome.AFTER_HOURS],
        "answered_share": outcomes[CallOutcome.ANSWERED] / offered,
        "wait_median": statistics.median(waits),
        "wait_p90": statistics.quantiles(waits, n=10, method="inclusive")[8],
        "repeat_callers": len(repeat),
        "repeat_calls": sum(repeat.values()),
        "talk_seconds": sum(c.talk for c in calls if c.talk is not None),
    }


def _actual(figures) -> dict[str, object]:  # noqa: ANN001
    return {
        "calls": figures.calls,
        "answered": figures.count("answered"),
        "abandoned": figures.count("abandoned"),
        "after_hours": figures.count("after_hours"),
        "answered_share": pytest.approx(figures.answered_share),
        "wait_median": pytest.approx(figures.wait_median),
        "wait_p90": pytest.approx(figures.wait_p90),
        "repeat_callers": figures.repeat_callers,
        "repeat_calls": figures.repeat_calls,
        "talk_seconds": pytest.approx(figures.talk_seconds),
    }


def test_a_partners_month_has_the_figures_counted_independently(session, month):
    _lines, seeded, _shifts = month
    assert _actual(_wiesbaden(session).total) == _expected(seeded)


def test_each_line_has_its_own_figures(session, month):
    _lines, seeded, _shifts = month
    result = _wiesbaden(session)
    assert [row.line for row in result.lines] == ["Nord", "Süd"]
    for row in result.lines:
        assert _actual(row.figures) == _expected([c for c in seeded if c.line == row.line])


def test_calls_per_local_day_and_hour_of_week_across_the_change_to_summer_time(session, month):
    _lines, seeded, _shifts = month
    result = _wiesbaden(session)
    per_day = Counter(c.local.date() for c in seeded)
    answered = Counter(c.local.date() for c in seeded if c.outcome == CallOutcome.ANSWERED)
    assert result.per_day == [
        (dt.date(2026, 3, d), per_day[dt.date(2026, 3, d)], answered[dt.date(2026, 3, d)])
        for d in range(1, 32)
    ]
    week = Counter((c.local.weekday(), c.local.hour) for c in seeded)
    assert result.hour_of_week == [[week[(wd, h)] for h in range(24)] for wd in range(7)]
    # the night of the change: 01:30 CET and 03:30 CEST are an hour apart in UTC
    sunday = result.hour_of_week[6]
    assert sunday[1] >= 1 and sunday[3] >= 1


def test_calls_at_the_edges_of_the_local_month_count_in_the_month_they_were_made(session, month):
    _lines, seeded, _shifts = month
    result = _wiesbaden(session)
    assert result.total.calls == len(seeded)  # Feb 28th and April 1st local are left out
    february = report(session, lines_for(session, partner="Wiesbaden"), Period.month("2026-02"))
    assert february.total.calls == 1 and february.per_day[-1][1] == 1


def test_planned_shift_hours_count_real_hours_inside_the_month(session, month):
    _lines, _seeded, shifts = month
    since, until = Period.month(MONTH).bounds()
    expected: dict[str, float] = {}
    for line, start, end in shifts:
        a = max(start.replace(tzinfo=BERLIN).astimezone(dt.UTC), since)
        b = min(end.replace(tzinfo=BERLIN).astimezone(dt.UTC), until)
        expected[line] = expected.get(line, 0.0) + max(0.0, (b - a).total_seconds() / 3600)
    result = _wiesbaden(session)
    assert {row.line: row.figures.shift_hours for row in result.lines} == {
        "Süd": pytest.approx(expected["Süd"]),
        "Nord": pytest.approx(expected["Nord"]),
    }
    assert expected["Süd"] == 9  # 7 across the change to summer time + 2 before April
    assert result.total.shift_hours == pytest.approx(expected["Süd"] + expected["Nord"])


def test_a_month_without_calls_has_zeros_and_no_waits(session, month):
    result = report(session, lines_for(session, partner="Wiesbaden"), Period.month("2026-06"))
    assert result.total.calls == 0 and result.total.answered_share == 0.0
    assert result.total.wait_median is None and result.total.wait_p90 is None
    assert len(result.per_day) == 30 and sum(map(sum, result.hour_of_week)) == 0


def test_a_month_must_be_written_as_year_and_month():
    with pytest.raises(ValueError, match="2026-03"):
        Period.month("März")


# -- pages -----------------------------------------------------------------------------------


def _signed_in(app, session, role: Role = Role.PLANNER):  # noqa: ANN001, ANN202
    make_user(session, role, username=f"stat-{role.value}")
    client = app.test_client()
    login(client, f"stat-{role.value}")
    return client


def _no_external_resources(html: str) -> None:
    for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
        assert url.startswith(("/", "#", "?")) or url == "", url
    # The charts are drawn on the server: the only script is the layout's own file.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts == [' src="/static/app.js" defer'], scripts


def test_the_statistics_page_draws_both_charts_as_svg_with_tables(app, session, month):
    client = _signed_in(app, session)
    html = client.get(f"/statistik?monat={MONTH}&partner=Wiesbaden").get_data(as_text=True)
    assert html.count("<svg") == 2 and 'role="img"' in html and "<title" in html
    assert "Anrufe je Tag" in html and "Anrufe je Wochentag und Stunde" in html
    assert "Statistik" in html  # the navigation entry
    _lines, seeded, _shifts = month
    share = _expected(seeded)["answered_share"] * 100
    assert f"{share:.1f}".replace(".", ",") + " %" in html  # German number format
    _no_external_resources(html)


def test_coordinators_see_statistics_operators_and_strangers_do_not(app, session, month):
    assert app.test_client().get("/statistik").status_code == 302
    assert _signed_in(app, session, Role.COORDINATOR).get("/statistik").status_code == 200
    make_user(session, Role.OPERATOR, operator=make_operator(session), username="op")
    client = app.test_client()
    login(client, "op")
    assert client.get("/statistik").status_code == 403
    assert client.get(f"/statistik/bericht/Wiesbaden/{MONTH}").status_code == 403


def test_one_line_can_be_chosen(app, session, month):
    lines, seeded, _shifts = month
    client = _signed_in(app, session)
    html = client.get(f"/statistik?monat={MONTH}&linie={lines['Nord'].id}").get_data(as_text=True)
    nord = len([c for c in seeded if c.line == "Nord"])
    assert f'<th scope="row">Nord</th><td>{nord}</td>' in html and ">Süd</th>" not in html


def test_a_malformed_month_is_explained_in_german(app, session, month):
    html = _signed_in(app, session).get("/statistik?monat=13/2026").get_data(as_text=True)
    assert "Bitte einen Monat im Format JJJJ-MM wählen" in html


def test_the_monthly_report_is_printable_and_has_the_figures(app, session, month):
    client = _signed_in(app, session)
    response = client.get(f"/statistik/bericht/Wiesbaden/{MONTH}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Monatsbericht" in html and html.count("<svg") == 2
    _no_external_resources(html)
    css = client.get("/static/app.css").get_data(as_text=True)
    assert "@media print" in css
    _lines, seeded, _shifts = month
    for line in ("Nord", "Süd"):
        count = len([c for c in seeded if c.line == line])
        assert f'<th scope="row">{line}</th><td>{count}</td>' in html
    assert client.get(f"/statistik/bericht/Niemand/{MONTH}").status_code == 404
    assert client.get("/statistik/bericht/Wiesbaden/2026-13").status_code == 404


def test_the_cli_report_prints_the_same_figures(app, session, month, monkeypatch):
    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["stats", "--partner", "Wiesbaden", "--month", MONTH])
    assert result.exit_code == 0, result.output
    figures = _wiesbaden(session)
    total = result.output.split("\nNord:")[0]
    assert f"calls: {figures.total.calls}\n" in total
    assert f"answered share: {figures.total.answered_share:.1%}\n" in total
    assert f"waiting time median: {figures.total.wait_median:.1f} s\n" in total
    assert f"waiting time 90th percentile: {figures.total.wait_p90:.1f} s\n" in total
    assert f"repeat callers: {figures.total.repeat_callers}\n" in total
    assert f"planned shift hours: {figures.total.shift_hours:.1f}\n" in total
    assert "Mainz" not in result.output


def test_the_cli_report_refuses_an_unknown_partner(app, session, month, monkeypatch):
    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["stats", "--partner", "Niemand", "--month", MONTH])
    assert result.exit_code != 0 and "no lines of partner" in result.output


def test_the_report_page_and_the_cli_agree(app, session, month, monkeypatch):
    monkeypatch.setattr(cli, "create_app", lambda: app)
    output = (
        CliRunner().invoke(cli.main, ["stats", "--partner", "Wiesbaden", "--month", MONTH]).output
    )
    cli_total = dict(
        line.strip().split(": ", 1) for line in output.split("\nNord:")[0].splitlines()[1:]
    )
    html = (
        _signed_in(app, session).get(f"/statistik/bericht/Wiesbaden/{MONTH}").get_data(as_text=True)
    )
    page = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    same = {
        "Anrufe": "calls",
        "angenommen": "answered",
        "Anteil angenommen": "answered share",
        "aufgelegt vor Annahme": "abandoned",
        "außerhalb der Öffnungszeiten": "after_hours",
        "Wartezeit Median": "waiting time median",
        "Wartezeit 90. Perzentil": "waiting time 90th percentile",
        "wiederholt Anrufende": "repeat callers",
        "geplante Schichtstunden": "planned shift hours",
        "Gesprächszeit": "talk time hours",
    }
    for german, english in same.items():
        shown = float(re.sub(r"[^0-9,]", "", page[german]).replace(",", "."))
        printed = float(re.sub(r"[^0-9.]", "", cli_total[english]))
        assert shown == pytest.approx(printed, abs=0.05), german


def test_the_cli_refuses_a_month_together_with_days(app, session, month, monkeypatch):
    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["stats", "--month", MONTH, "--since", "2026-03-01"])
    assert result.exit_code != 0 and "--month does not go with" in result.output
    result = CliRunner().invoke(cli.main, ["stats", "--month", "März"])
    assert result.exit_code != 0 and "must look like 2026-03" in result.output


def test_the_report_link_works_for_a_partner_with_a_slash_in_its_name(app, session):
    make_line(session, number="+4930120009", name="Bahnhof", partner="Rhein/Main")
    client = _signed_in(app, session)
    html = client.get(f"/statistik?monat={MONTH}").get_data(as_text=True)
    link = re.search(r'href="(/statistik/bericht/[^"]+)"', html)
    assert link is not None
    page = client.get(link.group(1))
    assert page.status_code == 200 and "Rhein/Main" in page.get_data(as_text=True)


def test_the_monthly_report_as_pdf_carries_the_figures(app, session, month):
    client = _signed_in(app, session)
    html = client.get(f"/statistik/bericht/Wiesbaden/{MONTH}").get_data(as_text=True)
    assert f'href="/statistik/bericht/Wiesbaden/{MONTH}/pdf"' in html
    response = client.get(f"/statistik/bericht/Wiesbaden/{MONTH}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "monatsbericht-Wiesbaden-2026-03.pdf" in response.headers["Content-Disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    figures = _wiesbaden(session).total
    assert "Monatsbericht: Wiesbaden" in text and "Nord" in text and "Süd" in text
    share = f"{figures.answered_share * 100:.1f}".replace(".", ",")
    assert f"Anrufe {figures.calls}" in text and f"Anteil angenommen {share} %" in text
    assert client.get(f"/statistik/bericht/Niemand/{MONTH}/pdf").status_code == 404


def test_accompaniments_are_counted_by_how_they_ended(session, month):
    from sqlalchemy import select

    from hotline.voice.models import Accompaniment, AccompanimentState, Call

    lines, _seeded, _shifts = month
    answered = session.scalars(
        select(Call)
        .where(Call.line_id == lines["Süd"].id, Call.outcome == CallOutcome.ANSWERED)
        .where(Call.started_at >= _at(1, 0), Call.started_at < _at(1, 0, month=4))
        .order_by(Call.id)
    ).all()
    states = [
        AccompanimentState.ARRIVED,
        AccompanimentState.ARRIVED,
        AccompanimentState.DROPPED,
        AccompanimentState.DROPPED_RECONNECTED,
        AccompanimentState.ESCALATED,
    ][: len(answered)]
    for call, state in zip(answered, states, strict=False):
        session.add(Accompaniment(call_id=call.id, state=state, started_at=call.started_at))
    session.flush()
    expected = Counter(state.value for state in states)
    figures = _wiesbaden(session).total
    for state in AccompanimentState:
        assert figures.count(f"accompaniment_{state.value}") == expected[state.value], state
    assert len(states) >= 3  # the seeded month has enough answered calls to tell states apart
