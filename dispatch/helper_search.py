"""Finding helpers on the coordinators' list: by name, postal code, activity, language and
status, a page at a time (a city's pool is thousands of helpers; one page stays fast)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dispatch.models import Activity, Helper, HelperStatus
from hotline.core.i18n import N_

PAGE_SIZE = 50

#: Page texts of the helper statuses (msgids; translated when shown).
STATUS_LABELS = {
    HelperStatus.ACTIVE.value: N_("aktiv"),
    HelperStatus.PAUSED.value: N_("pausiert"),
    HelperStatus.OPTED_OUT.value: N_("abgemeldet"),
}

#: Language codes helpers give, with their German names as the pages show them.
LANGUAGE_NAMES_DE = {
    "de": "Deutsch",
    "en": "Englisch",
    "tr": "Türkisch",
    "ar": "Arabisch",
    "uk": "Ukrainisch",
    "ru": "Russisch",
    "pl": "Polnisch",
    "fr": "Französisch",
    "es": "Spanisch",
    "it": "Italienisch",
    "fa": "Persisch",
}


@dataclass(frozen=True)
class HelperSearch:
    text: str = ""  # part of the name, or the start of a postal code
    activity: str = ""
    language: str = ""
    status: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> HelperSearch:
        """The search of a query string; unknown filter values are dropped, not errors."""
        activity = args.get("taetigkeit", "")
        status = args.get("status", "")
        language = args.get("sprache", "").strip().lower()
        try:
            page = max(1, int(args.get("seite", "1")))
        except ValueError:
            page = 1
        return cls(
            text=args.get("q", "").strip()[:80],
            activity=activity if activity in {a.value for a in Activity} else "",
            language=language if language.isalpha() and len(language) <= 3 else "",
            status=status if status in {s.value for s in HelperStatus} else "",
            page=page,
        )


@dataclass(frozen=True)
class HelperPage:
    helpers: list[Helper]
    total: int
    page: int
    pages: int


def search_helpers(session: Session, search: HelperSearch, size: int = PAGE_SIZE) -> HelperPage:
    """The helpers matching every given filter, by name."""
    query = select(Helper)
    if search.text:
        escaped = search.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(
                Helper.name.ilike(f"%{escaped}%", escape="\\"),
                Helper.postal_code.like(f"{escaped}%", escape="\\"),
            )
        )
    if search.activity:
        query = query.where(Helper.activity_codes.like(f"%,{search.activity},%"))
    if search.language:
        query = query.where(Helper.language_codes.like(f"%,{search.language},%"))
    if search.status:
        query = query.where(Helper.status == HelperStatus(search.status))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(search.page, pages)
    helpers = session.scalars(
        query.order_by(Helper.name, Helper.id).offset((page - 1) * size).limit(size)
    ).all()
    return HelperPage(list(helpers), total, page, pages)
