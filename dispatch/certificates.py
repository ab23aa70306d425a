"""Certificates of engagement: what a helper did over a period, as a PDF they download.

The figures come from the records and nothing else (:func:`figures`), the PDF only lays
them out (:func:`render_pdf`), so what the certificate says can be checked against the
database:

* a help by ticket counts once the helper accepted, the ticket was filled and its window
  has passed (a ticket closed before its window ended does not count); its hours are the
  window's length, and it belongs to the period its window starts in;
* a long-term match counts once it has reached its review date or has ended; its hours are
  its hours per week × the weeks (days / 7) it ran within the period, from its start to
  its end, its pause or today, less the pauses it resumed from.

What the requesters are (names, numbers, addresses, descriptions) is never read: the
certificate names the kind of help, the hours and the organisation.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fpdf import FPDF
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dispatch import texts
from dispatch.models import (
    EngagementMatch,
    EngagementProfile,
    Helper,
    MatchStatus,
    Offer,
    OfferState,
    Organisation,
    Ticket,
    TicketStatus,
)

PRODUCT = "Rufbereit"
#: Named for helps that were not requested through an organisation (phone, operators).
NEIGHBOURHOOD_HELP = "Rufbereit Nachbarschaftshilfe"


@dataclass(frozen=True)
class Line:
    """One kind of help for one organisation."""

    organisation: str
    activity: str  # activity code
    kind: str  # "ticket" (single helps) or "engagement" (long-term)
    count: int
    hours: float


@dataclass(frozen=True)
class Figures:
    start: dt.date
    end: dt.date
    lines: tuple[Line, ...]

    @property
    def hours(self) -> float:
        return round(sum(line.hours for line in self.lines), 1)

    @property
    def helps(self) -> int:
        return sum(line.count for line in self.lines if line.kind == "ticket")

    @property
    def engagements(self) -> int:
        return sum(line.count for line in self.lines if line.kind == "engagement")

    @property
    def empty(self) -> bool:
        return not self.lines


def figures(
    session: Session, helper_id: int, start: dt.date, end: dt.date, now: dt.datetime, zone: str
) -> Figures:
    """What ``helper_id`` did from ``start`` to ``end`` (both days included), as of ``now``."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    totals: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])

    period_start = dt.datetime.combine(start, dt.time(0), tz).astimezone(dt.UTC)
    period_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tz).astimezone(dt.UTC)
    helps = session.execute(
        select(Ticket.activity, Ticket.window_start, Ticket.window_end, Organisation.name)
        .join(Offer, Offer.ticket_id == Ticket.id)
        .outerjoin(Organisation, Organisation.id == Ticket.organisation_id)
        .where(
            Offer.helper_id == helper_id,
            Offer.state == OfferState.ACCEPTED,
            Ticket.filled_at.is_not(None),
            Ticket.window_end <= now,
            Ticket.window_start >= period_start,
            Ticket.window_start < period_end,
            or_(
                Ticket.status == TicketStatus.FILLED,
                (Ticket.status == TicketStatus.CLOSED) & (Ticket.closed_at >= Ticket.window_end),
            ),
        )
    )
    for activity, window_start, window_end, org_name in helps:
        entry = totals[(org_name or NEIGHBOURHOOD_HELP, activity.value, "ticket")]
        entry[0] += 1
        entry[1] += (window_end - window_start).total_seconds() / 3600

    matches = session.execute(
        select(EngagementMatch, EngagementProfile.activity, Organisation.name)
        .join(EngagementProfile, EngagementProfile.id == EngagementMatch.profile_id)
        .join(Organisation, Organisation.id == EngagementProfile.organisation_id)
        .where(
            EngagementMatch.helper_id == helper_id,
            EngagementMatch.started_on.is_not(None),
            EngagementMatch.status != MatchStatus.PROPOSED,
        )
    )
    for match, activity, org_name in matches:
        due = match.status == MatchStatus.ENDED or (
            match.review_on is not None and match.review_on <= today
        )
        days = match_days(match, start, end, today)
        if not due or days <= 0:
            continue
        entry = totals[(org_name, activity.value, "engagement")]
        entry[0] += 1
        entry[1] += match.hours_per_week * days / 7

    lines = tuple(
        Line(org, activity, kind, int(count), round(hours, 1))
        for (org, activity, kind), (count, hours) in sorted(totals.items())
    )
    return Figures(start=start, end=end, lines=lines)


def first_day(session: Session, helper_id: int, zone: str) -> dt.date | None:
    """The local day of the helper's first accepted help or first match, if any: where a
    certificate "for everything so far" begins."""
    first_help = session.scalar(
        select(func.min(Ticket.window_start))
        .join(Offer, Offer.ticket_id == Ticket.id)
        .where(Offer.helper_id == helper_id, Offer.state == OfferState.ACCEPTED)
    )
    first_match = session.scalar(
        select(func.min(EngagementMatch.started_on)).where(EngagementMatch.helper_id == helper_id)
    )
    days = [
        d for d in (first_help and first_help.astimezone(ZoneInfo(zone)).date(), first_match) if d
    ]
    return min(days) if days else None


def match_days(match: EngagementMatch, start: dt.date, end: dt.date, today: dt.date) -> int:
    """Days the match ran within [start, end]: from its start to the day before it ended
    or paused (or to today, included, while it runs), without the pauses it resumed from."""
    if match.started_on is None:
        return 0
    stop = match.ended_on or match.paused_on or today + dt.timedelta(days=1)
    first = max(start, match.started_on)
    last = min(end + dt.timedelta(days=1), stop)
    days = _overlap(first, last, first, last)
    for paused, resumed in match.pauses or ():
        days -= _overlap(first, last, dt.date.fromisoformat(paused), dt.date.fromisoformat(resumed))
    return days


def _overlap(a: dt.date, b: dt.date, c: dt.date, d: dt.date) -> int:
    """Days in both [a, b) and [c, d)."""
    return max(0, (min(b, d) - max(a, c)).days)


def hours_text(hours: float) -> str:
    """German number format: ``12,5``."""
    return f"{hours:.1f}".replace(".", ",")


def latin1(text: str) -> str:
    """What the PDF's built-in Helvetica can show (Latin-1, so all of German): other letters
    lose their accents (``Ş`` → ``S``), anything else becomes ``?``."""
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


def render_pdf(helper: Helper, found: Figures, issued_on: dt.date) -> bytes:
    """The certificate as a one-page (or longer) A4 PDF, in German."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"{PRODUCT} - Bescheinigung über ehrenamtliches Engagement")
    pdf.set_author(PRODUCT)
    pdf.set_creator(PRODUCT)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, PRODUCT, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "Bescheinigung über ehrenamtliches Engagement", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    period = f"{found.start:%d.%m.%Y} bis {found.end:%d.%m.%Y}"
    pdf.multi_cell(
        0,
        6,
        f"Hiermit bestätigen wir, dass {latin1(helper.name)} im Zeitraum vom {period} "
        f"ehrenamtlich über {PRODUCT} geholfen hat.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, f"Stunden insgesamt: {hours_text(found.hours)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, f"Einzelne Einsätze: {found.helps}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 7, f"Längerfristige Engagements: {found.engagements}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    widths = (70, 50, 30, 30)
    pdf.set_font("Helvetica", "B", 10)
    for width, title in zip(
        widths, ("Organisation", "Art der Hilfe", "Anzahl", "Stunden"), strict=True
    ):
        pdf.cell(width, 7, title, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in found.lines:
        kind = texts.activity_name(line.activity, "de")
        if line.kind == "engagement":
            kind += " (regelmäßig)"
        cells = (latin1(line.organisation)[:40], kind, str(line.count), hours_text(line.hours))
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 7, value)
        pdf.ln()
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        0,
        5,
        "Die Angaben beruhen auf den in Rufbereit erfassten Einsätzen: bei einzelnen Einsätzen "
        "die vereinbarte Dauer, bei längerfristigen Engagements die vereinbarten Stunden pro "
        f"Woche. Ausgestellt am {issued_on:%d.%m.%Y}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
