"""The monthly partner report as an A4 PDF (German), for municipalities that want a file to
attach rather than a page to print: the same figures as ``/statistik/bericht/…``, the two
charts drawn with rectangles, the per-line table."""

from __future__ import annotations

import unicodedata

from fpdf import FPDF

from hotline.voice.stats import Figures, Report

WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
ACCENT = (11, 79, 179)
LIGHT = (143, 179, 232)


def _latin1(text: str) -> str:
    """What the built-in Helvetica can show (Latin-1, so all of German); other letters lose
    their accents, anything else becomes ``?``."""
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


def _num(value: float, digits: int = 1) -> str:
    """German number format: ``1.234,5``."""
    text = f"{value:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if digits and text.endswith("," + "0" * digits):
        text = text[: -(digits + 1)]
    return text


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{_num(value)} s"


def rows_of(figures: Figures) -> list[tuple[str, str]]:
    """The summary figures as German ``(label, value)`` pairs, as on the page."""
    return [
        ("Anrufe", _num(figures.calls, 0)),
        ("angenommen", _num(figures.count("answered"), 0)),
        ("Anteil angenommen", f"{_num(figures.answered_share * 100)} %"),
        ("aufgelegt vor Annahme", _num(figures.count("abandoned"), 0)),
        ("außerhalb der Öffnungszeiten", _num(figures.count("after_hours"), 0)),
        ("Wartezeit Median", _seconds(figures.wait_median)),
        ("Wartezeit 90. Perzentil", _seconds(figures.wait_p90)),
        ("wiederholt Anrufende", _num(figures.repeat_callers, 0)),
        ("geplante Schichtstunden", f"{_num(figures.shift_hours)} h"),
        ("Gesprächszeit", f"{_num(figures.talk_hours)} h"),
        ("Begleitungen: angekommen", _num(figures.count("accompaniment_arrived"), 0)),
        (
            "Begleitungen: wieder verbunden",
            _num(figures.count("accompaniment_dropped_reconnected"), 0),
        ),
        ("Begleitungen: abgebrochen", _num(figures.count("accompaniment_dropped"), 0)),
        ("Begleitungen: Verstärkung", _num(figures.count("accompaniment_escalated"), 0)),
    ]


def render_pdf(partner: str, result: Report) -> bytes:
    period = result.period
    last = period.days()[-1]
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"Rufbereit - Monatsbericht {partner} {period.label}"))
    pdf.set_author("Rufbereit")
    pdf.set_creator("Rufbereit")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"Monatsbericht: {partner}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    names = ", ".join(row.line for row in result.lines)
    pdf.multi_cell(
        0,
        5,
        _latin1(f"Zeitraum: {period.first:%d.%m.%Y} bis {last:%d.%m.%Y} · Linien: {names}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    for label, value in rows_of(result.total):
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(70, 6, _latin1(label))
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(40, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _per_day(pdf, result)
    _hour_of_week(pdf, result)
    _per_line(pdf, result)
    pdf.set_font("Helvetica", "", 8)
    pdf.ln(3)
    pdf.multi_cell(
        0,
        4,
        _latin1(
            "Anteil angenommen: angenommene Anrufe von denen, die Ehrenamtliche erreichen "
            "sollten (ohne Anrufe außerhalb der Öffnungszeiten und gesperrte). Wartezeit: vom "
            "Eingang des Anrufs bis zur Annahme oder bis die anrufende Person auflegt. "
            "Wiederholt Anrufende: mehr als ein Anruf im Monat, gezählt über einen gesalzenen "
            "Hash, nie über die Nummer. Zeiten in Ortszeit."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _per_day(pdf: FPDF, result: Report) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Anrufe je Tag", new_x="LMARGIN", new_y="NEXT")
    top = max([calls for _d, calls, _a in result.per_day] + [1])
    x0, y0, height, width = pdf.l_margin + 8, pdf.get_y() + 2, 40.0, 170.0
    step = width / len(result.per_day)
    pdf.set_font("Helvetica", "", 6)
    pdf.set_draw_color(180, 180, 180)
    pdf.line(x0, y0 + height, x0 + width, y0 + height)
    pdf.text(pdf.l_margin, y0 + 2, str(top))
    pdf.text(pdf.l_margin, y0 + height, "0")
    for i, (day, calls, answered) in enumerate(result.per_day):
        x = x0 + i * step
        for value, colour in ((calls, LIGHT), (answered, ACCENT)):
            h = height * value / top
            if h:
                pdf.set_fill_color(*colour)
                pdf.rect(x + 0.4, y0 + height - h, step - 0.8, h, style="F")
        pdf.text(x + step / 2 - 1.2, y0 + height + 3, str(day.day))
    pdf.set_y(y0 + height + 5)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, "hell: alle Anrufe, dunkel: davon angenommen", new_x="LMARGIN", new_y="NEXT")


def _hour_of_week(pdf: FPDF, result: Report) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Anrufe je Wochentag und Stunde (Ortszeit)", new_x="LMARGIN", new_y="NEXT")
    top = max([n for row in result.hour_of_week for n in row] + [1])
    cell = 7.0
    x0, y0 = pdf.l_margin + 8, pdf.get_y() + 4
    pdf.set_font("Helvetica", "", 6)
    for hour in range(24):
        pdf.text(x0 + hour * cell + 2, y0 - 1, str(hour))
    for wd, row in enumerate(result.hour_of_week):
        y = y0 + wd * cell
        pdf.set_text_color(0, 0, 0)
        pdf.text(pdf.l_margin, y + 4.5, WEEKDAYS[wd])
        for hour, n in enumerate(row):
            shade = 0.0 if not n else 0.15 + 0.85 * n / top
            fill = tuple(round(255 + (c - 255) * shade) for c in ACCENT) if n else (244,) * 3
            pdf.set_fill_color(*fill)
            pdf.rect(x0 + hour * cell, y, cell - 0.4, cell - 0.4, style="F")
            if n:
                pdf.set_text_color(*((255, 255, 255) if shade > 0.55 else (0, 0, 0)))
                pdf.text(x0 + hour * cell + 2, y + 4.5, str(n))
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(y0 + 7 * cell + 3)


def _per_line(pdf: FPDF, result: Report) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Je Linie", new_x="LMARGIN", new_y="NEXT")
    heads = ("Linie", "Anrufe", "angen.", "Anteil", "aufgel.", "n. Öffn.", "Median", "90 %")
    widths = (40, 18, 18, 20, 18, 18, 20, 20)
    pdf.set_font("Helvetica", "B", 8)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 6, _latin1(head), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for row in result.lines:
        f = row.figures
        cells = (
            _latin1(row.line)[:28],
            _num(f.calls, 0),
            _num(f.count("answered"), 0),
            f"{_num(f.answered_share * 100)} %",
            _num(f.count("abandoned"), 0),
            _num(f.count("after_hours"), 0),
            _seconds(f.wait_median),
            _seconds(f.wait_p90),
        )
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 6, value)
        pdf.ln()
