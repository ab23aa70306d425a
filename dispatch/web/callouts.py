"""The public list of open call-outs (no sign-in): a page, a version for embedding on a
municipality's website, and a JSON feed. See :mod:`dispatch.callouts` for what is shown
and what never is."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, jsonify, render_template, request

from dispatch import texts
from dispatch.callouts import MAX_RADIUS_KM, Search, open_callouts
from dispatch.matching import dispatch_zone
from dispatch.models import Activity
from dispatch.postcodes import UnknownPostalCode
from dispatch.web.blueprint import bp, local_time
from hotline.core.errors import DomainError
from hotline.core.extensions import db
from hotline.core.i18n import current_language, error_text
from hotline.core.models import utcnow

RADII = (2, 5, 10, 20, 50)


class BadSearch(DomainError):
    """A search of the public call-out page that cannot run."""


def _search() -> Search:
    args = request.args
    code = (args.get("plz") or "").strip()[:5] or None
    try:
        radius = float(args.get("km") or 10)
    except ValueError:
        raise BadSearch("search_radius_not_a_number") from None
    if not 1 <= radius <= MAX_RADIUS_KM:
        raise BadSearch("search_radius_out_of_range", max=MAX_RADIUS_KM)
    activity = None
    if args.get("taetigkeit"):
        try:
            activity = Activity(args["taetigkeit"])
        except ValueError:
            raise BadSearch("activity_unknown") from None
    day = None
    if args.get("tag"):
        try:
            day = dt.date.fromisoformat(args["tag"][:10])
        except ValueError:
            raise BadSearch("search_date_unreadable") from None
    return Search(postal_code=code, radius_km=radius, activity=activity, day=day)


def _results():  # noqa: ANN202
    """``(search, callouts, error)`` for the request's query."""
    try:
        search = _search()
        found = open_callouts(db.session, search, utcnow(), ZoneInfo(dispatch_zone()))
        return search, found, None
    except (BadSearch, UnknownPostalCode) as exc:
        if isinstance(exc, UnknownPostalCode):
            exc = BadSearch("search_postal_code_unknown")
        return Search(), [], error_text(exc)


def _page(template: str):  # noqa: ANN202
    search, found, error = _results()
    return render_template(
        template,
        search=search,
        callouts=found,
        error=error,
        radii=RADII,
        activities=[(a.value, texts.activity_name(a.value, current_language())) for a in Activity],
        local_time=local_time,
    ), (400 if error else 200)


@bp.get("/angebote")
def public_callouts():  # noqa: ANN201
    return _page("dispatch/callouts.html")


@bp.get("/angebote/einbetten")
def embedded_callouts():  # noqa: ANN201
    """The same list without the product's navigation, to be framed by the sites named in
    ``CALLOUTS_EMBED_ORIGINS`` (default: any site; the list holds nothing personal)."""
    body, status = _page("dispatch/callouts_embed.html")
    origins = current_app.config.get("CALLOUTS_EMBED_ORIGINS") or "*"
    policy = (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {origins}"
    )
    # Browsers ignore X-Frame-Options where a frame-ancestors policy is given (CSP level 2).
    return body, status, {"Content-Security-Policy": policy}


@bp.get("/angebote.json")
def callouts_feed():  # noqa: ANN201
    """The open call-outs as JSON, for a municipality's own website (any origin may read)."""
    search, found, error = _results()
    headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=60"}
    if error:
        return jsonify({"error": error}), 400, headers
    payload = {
        "generated_at": utcnow().isoformat(),
        "callouts": [
            {**c.as_json(), "activity_name": texts.activity_name(c.activity, current_language())}
            for c in found
        ],
    }
    return jsonify(payload), 200, headers
