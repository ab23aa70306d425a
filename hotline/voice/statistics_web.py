"""``/statistik``: call statistics per line or partner and month, and the printable monthly
report a co-funding municipality asks for.

Charts are SVG drawn here on the server (no script, no external request, allowed by the
Content-Security-Policy: presentation attributes, no inline styles); every chart has a
title, a description and the same figures in a table next to it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template, request
from markupsafe import Markup, escape
from werkzeug.utils import secure_filename

from hotline.core.auth import load_user, requires
from hotline.core.extensions import db
from hotline.core.i18n import WEEKDAYS_DE, format_number, gettext
from hotline.core.models import Role
from hotline.voice.statistics_pdf import render_pdf
from hotline.voice.stats import Period, Report, anonymous_hash, lines_for, partners, report

bp = Blueprint("voice_stats", __name__)

#: Statistics are for the people who plan and coordinate the hotline.
MIN_ROLE = Role.PLANNER


@bp.before_request
def _load_user() -> None:
    load_user()


def _this_month() -> str:
    return f"{dt.datetime.now(ZoneInfo('Europe/Berlin')):%Y-%m}"


@bp.get("/statistik")
@requires(MIN_ROLE)
def statistics():  # noqa: ANN201
    session = db.session
    month = request.args.get("monat") or _this_month()
    partner = request.args.get("partner") or None
    line_id = request.args.get("linie", type=int)
    all_lines = lines_for(session)
    error = None
    try:
        Period.month(month)
    except ValueError:
        error = gettext("Bitte einen Monat im Format JJJJ-MM wählen, z. B. 2026-03.")
        month = _this_month()
    lines = lines_for(session, line_id=line_id, partner=partner)
    result = _report(lines, month)
    return render_template(
        "voice/statistics.html",
        result=result,
        all_lines=all_lines,
        partners=partners(session),
        month=month,
        partner=partner,
        line_id=line_id,
        error=error,
        charts=_charts(result) if result else None,
        weekdays=WEEKDAYS_DE,
        tables_open=False,
    )


@bp.get("/statistik/bericht/<path:partner>/<month>")  # a partner may contain "/"
@requires(MIN_ROLE)
def monthly_report(partner: str, month: str):  # noqa: ANN201
    lines = lines_for(db.session, partner=partner)
    if not lines:
        abort(404)
    try:
        Period.month(month)
    except ValueError:
        abort(404)
    result = _report(lines, month)
    assert result is not None
    return render_template(
        "voice/statistics_report.html",
        result=result,
        partner=partner,
        charts=_charts(result),
        generated=dt.datetime.now(dt.UTC),
        weekdays=WEEKDAYS_DE,
        tables_open=True,
    )


@bp.get("/statistik/bericht/<path:partner>/<month>/pdf")
@requires(MIN_ROLE)
def monthly_report_pdf(partner: str, month: str):  # noqa: ANN201
    """The same report as an A4 PDF, in German (the language of the municipality's files)."""
    lines = lines_for(db.session, partner=partner)
    if not lines:
        abort(404)
    try:
        Period.month(month)
    except ValueError:
        abort(404)
    result = _report(lines, month)
    assert result is not None
    filename = f"monatsbericht-{secure_filename(partner) or 'partner'}-{month}.pdf"
    return Response(
        render_pdf(partner, result),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _report(lines: list, month: str) -> Report | None:  # noqa: ANN001 - Line
    if not lines:
        return None
    period = Period.month(month, lines[0].timezone)
    salt = current_app.config["CALLER_HASH_SALT"]
    return report(db.session, lines, period, anonymous_hash(salt))


def _charts(result: Report) -> dict[str, Markup]:
    return {"per_day": per_day_svg(result), "hour_of_week": hour_of_week_svg(result)}


# -- SVG -------------------------------------------------------------------------------------


def _svg(width: int, height: int, ident: str, title: str, desc: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def per_day_svg(result: Report) -> Markup:
    """Bars of calls per local day, the answered part darker, with the day of the month
    under every bar and a scale on the left."""
    days = result.per_day
    top = max([calls for _d, calls, _a in days] + [1])
    scale = _nice(top)
    left, bar_w, gap, height, foot = 40, 16, 4, 180, 24
    width = left + len(days) * (bar_w + gap) + 6
    body = []
    for i in range(5):  # grid lines and scale
        value = scale * i / 4
        y = 6 + height - height * i / 4
        body.append(
            f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#ccc" '
            f'stroke-width="1"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="14" fill="#333">{escape(format_number(round(value, 1)))}</text>'
        )
    for i, (day, calls, answered) in enumerate(days):
        x = left + i * (bar_w + gap)
        h_all = height * calls / scale
        h_ans = height * answered / scale
        label = gettext("{day}: {calls} Anrufe, {answered} angenommen").format(
            day=f"{day:%d.%m.}", calls=format_number(calls), answered=format_number(answered)
        )
        body.append(
            f"<g><title>{escape(label)}</title>"
            f'<rect x="{x}" y="{6 + height - h_all:.1f}" width="{bar_w}" height="{h_all:.1f}" '
            f'fill="#8fb3e8"/>'
            f'<rect x="{x}" y="{6 + height - h_ans:.1f}" width="{bar_w}" height="{h_ans:.1f}" '
            f'fill="#0b4fb3"/></g>'
            f'<text x="{x + bar_w / 2}" y="{6 + height + foot - 6}" text-anchor="middle" '
            f'font-size="13" fill="#333">{day.day}</text>'
        )
    total = sum(calls for _d, calls, _a in days)
    desc = gettext(
        "Balkendiagramm: Anrufe je Tag im {month}, insgesamt {calls}; dunkel der angenommene "
        "Teil. Die Zahlen stehen auch in der Tabelle."
    ).format(month=result.period.label, calls=format_number(total))
    return _svg(width, height + foot + 6, "per-day", gettext("Anrufe je Tag"), desc, body)


def hour_of_week_svg(result: Report) -> Markup:
    """A heat map of calls per weekday (rows) and hour (columns), darker for more calls;
    every cell also names its count."""
    week = result.hour_of_week
    top = max([n for row in week for n in row] + [1])
    left, cell, head = 32, 22, 18
    body = []
    for hour in range(0, 24, 3):
        body.append(
            f'<text x="{left + hour * cell + cell / 2}" y="{head - 4}" text-anchor="middle" '
            f'font-size="12" fill="#333">{hour}</text>'
        )
    for wd, row in enumerate(week):
        name = gettext(WEEKDAYS_DE[wd])
        y = head + wd * cell
        body.append(
            f'<text x="{left - 4}" y="{y + cell - 6}" text-anchor="end" font-size="12" '
            f'fill="#333">{escape(name[:2])}</text>'
        )
        for hour, n in enumerate(row):
            shade = 0 if not n else 0.15 + 0.85 * n / top
            fill = _blend(shade)
            label = gettext("{weekday}, {hour}–{next} Uhr: {calls} Anrufe").format(
                weekday=name, hour=hour, next=hour + 1, calls=format_number(n)
            )
            body.append(
                f"<g><title>{escape(label)}</title>"
                f'<rect x="{left + hour * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="{fill}"/></g>'
            )
            if n:
                ink = "#fff" if shade > 0.55 else "#111"
                body.append(
                    f'<text x="{left + hour * cell + (cell - 1) / 2}" y="{y + cell - 6}" '
                    f'text-anchor="middle" font-size="11" fill="{ink}">{n}</text>'
                )
    desc = gettext(
        "Heatmap: Anrufe je Wochentag (Zeilen) und Stunde (Spalten, Ortszeit), je dunkler, "
        "desto mehr; höchstens {top} in einer Stunde. Die Zahlen stehen auch in der Tabelle."
    ).format(top=format_number(top))
    return _svg(
        left + 24 * cell + 4,
        head + 7 * cell + 4,
        "hour-of-week",
        gettext("Anrufe je Wochentag und Stunde"),
        desc,
        body,
    )


def _nice(top: int) -> float:
    """A round upper end of the scale (1, 2, 5 × a power of ten) at least ``top``."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= top:
                return float(step * magnitude)
        magnitude *= 10


def _blend(shade: float) -> str:
    """From white (0) to the accent colour #0b4fb3 (1)."""
    if shade == 0:
        return "#f4f4f4"
    r, g, b = (round(255 + (c - 255) * shade) for c in (0x0B, 0x4F, 0xB3))
    return f"#{r:02x}{g:02x}{b:02x}"


def init_app(registry) -> None:  # noqa: ANN001 - Registry
    registry.nav("Statistik", "voice_stats.statistics", MIN_ROLE.value, group="hotline")
