"""One app, one layout: what every HTML page shares, whichever feature renders it.

* The layout (``templates/base.html``) gets the signed-in account, the navigation for its
  role, the language and its writing direction, and the language switch. Features add their
  links through the registry (:meth:`~hotline.core.registry.Registry.nav`); the core only
  knows endpoint names, never a feature's module.
* ``/`` leads each person to their home: the sign-in page when signed out, else the page the
  features registered for the account's role (:meth:`~hotline.core.registry.Registry.home`).
* Error pages (400, 403, 404, 410, 413, 429, 500) in the layout and the page's language.
  Requests from Twilio (signed webhooks) keep the plain answer: Twilio must never get an HTML
  page, and the voice blueprints answer TwiML through their own handlers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import BuildError

from hotline.core import i18n, web
from hotline.core.auth import load_user
from hotline.core.i18n import N_
from hotline.core.models import Role, User
from hotline.core.registry import NavEntry, Registry, registry

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)

#: Status codes answered with a page of the layout; other codes keep Werkzeug's answer.
ERROR_CODES = (400, 403, 404, 410, 413, 429, 500)
#: Per status: title and explanation (catalogue msgids, German).
ERROR_TEXTS: dict[int, tuple[str, str]] = {
    400: (
        N_("Ungültige Anfrage"),
        N_(
            "Die Anfrage war unvollständig oder das Formular ist abgelaufen. Bitte laden Sie die "
            "Seite neu und versuchen Sie es noch einmal."
        ),
    ),
    403: (
        N_("Keine Berechtigung"),
        N_(
            "Diese Seite ist für Ihr Konto nicht freigegeben. Wenn Sie sie brauchen, wenden Sie "
            "sich bitte an die Koordination."
        ),
    ),
    404: (
        N_("Seite nicht gefunden"),
        N_("Diese Adresse gibt es nicht. Vielleicht ist der Link alt oder unvollständig."),
    ),
    410: (
        N_("Nicht mehr gültig"),
        N_("Dieser Link ist abgelaufen oder die Anfrage ist abgeschlossen. Danke!"),
    ),
    413: (
        N_("Die Anfrage ist zu groß"),
        N_(
            "Es werden höchstens {limit} angenommen. Bitte wählen Sie eine kleinere Datei oder "
            "teilen Sie sie auf."
        ),
    ),
    429: (
        N_("Zu viele Anfragen"),
        N_("Bitte warten Sie einen Moment und versuchen Sie es dann noch einmal."),
    ),
    500: (
        N_("Ein Fehler ist aufgetreten"),
        N_("Das hat leider nicht geklappt. Bitte versuchen Sie es gleich noch einmal."),
    ),
}

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'

ROLE_NAMES = {
    Role.ADMIN: N_("Administration"),
    Role.COORDINATOR: N_("Koordination"),
    Role.PLANNER: N_("Planung"),
    Role.OPERATOR: N_("Telefondienst"),
    Role.MEMBER: N_("Mitglied einer Organisation"),
}


def init_app(app: Flask) -> None:
    i18n.init_app(app)
    app.register_blueprint(bp)
    app.context_processor(layout_context)
    app.add_template_filter(i18n.format_date, "date")
    app.add_template_filter(i18n.format_datetime, "datetime")
    app.add_template_filter(i18n.format_number, "number")
    app.add_template_filter(i18n.format_wall_clock, "wall_clock")
    for code in ERROR_CODES:
        app.register_error_handler(code, error_page)


def role_name(role: Role | str) -> str:
    """The role's name in the page's language."""
    return i18n.gettext(ROLE_NAMES[Role(role)])


#: The core's navigation group: accounts and settings, which every feature's admin pages join.
ADMIN_GROUP = "admin"


def register(reg: Registry) -> None:
    reg.nav_group(ADMIN_GROUP, N_("Verwaltung"), order=90)


#: Up to this many links a role's navigation stays one flat row; beyond, it is grouped.
FLAT_NAVIGATION = 7


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str


@dataclass(frozen=True)
class NavSection:
    """A group of links under ``label``; the links before every group have ``label`` ""."""

    label: str
    links: list[NavLink]

    def holds(self, path: str) -> bool:
        return any(link.url == path for link in self.links)


def navigation(user: User | None) -> list[NavSection]:
    """The links ``user`` may open, in the page's language: one section without a label
    when they are few, else the ungrouped links and then one section per group."""
    if user is None:
        return []
    reg = registry()
    entries: list[tuple[NavEntry, NavLink]] = []
    for entry in reg.nav_entries:
        if _may_see(user.role, entry):
            try:
                link = NavLink(i18n.gettext(entry.label), url_for(entry.endpoint))
            except BuildError:
                log.warning("navigation entry %s names no page", entry.endpoint)
                continue
            entries.append((entry, link))
    if len(entries) <= FLAT_NAVIGATION:
        return [NavSection("", [link for _, link in entries])] if entries else []
    sections = [
        NavSection("", [link for entry, link in entries if entry.group not in reg.nav_groups])
    ]
    for group in sorted(reg.nav_groups.values(), key=lambda g_: (g_.order, g_.key)):
        links = [link for entry, link in entries if entry.group == group.key]
        if links:
            sections.append(NavSection(i18n.gettext(group.label), links))
    return [section for section in sections if section.links]


def _may_see(role: Role, entry: NavEntry) -> bool:
    if entry.only_role is not None:
        return role == Role(entry.only_role)
    return role.at_least(Role(entry.min_role))


def layout_context() -> dict[str, Any]:
    lang = i18n.current_language()
    user = g.get("roster_user")
    accounts = registry().account_endpoints
    return {
        "_": i18n.gettext,
        "csrf_token": generate_csrf,
        "lang": lang,
        "text_dir": i18n.text_direction(lang),
        "languages": i18n.LANGUAGES,
        "language_names": i18n.LANGUAGE_NAMES,
        "nav_links": navigation(user),
        "account_pages": accounts,
        "role_name": role_name,
        "Role": Role,
        "user": user,
    }


@bp.get("/")
def home():  # noqa: ANN201
    """Each person's start page: signed out the sign-in page, else their role's home."""
    _load_user()
    user = g.get("roster_user")
    reg = registry()
    if user is None:
        endpoint = reg.account_endpoints.get("sign_in")
        if endpoint is None:
            return error_page(InternalServerError())
        return redirect(url_for(endpoint))
    endpoint = reg.home_endpoints.get(user.role.value)
    if endpoint is None:
        return render_template("home.html")
    return redirect(url_for(endpoint))


def _load_user() -> None:
    """The account for a page outside the features' blueprints (``/``, an error page); a
    database that is down leaves the page signed out rather than failing again."""
    if "roster_user" in g:
        return
    try:
        load_user()
    except Exception:  # noqa: BLE001 - an error page must render even without a database
        log.warning("could not load the signed-in account for an error page", exc_info=True)
        g.roster_user = None


def _from_twilio() -> bool:
    return "X-Twilio-Signature" in request.headers


def error_page(exc: HTTPException):  # noqa: ANN201
    """An HTTP error as a page of the layout, in the page's language."""
    if _from_twilio():
        # Twilio reads TwiML: an empty answer with the status, never a page.
        return Response(EMPTY_TWIML, exc.code or 500, mimetype="text/xml")
    code = exc.code or 500
    _load_user()
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    limit = web.size_text(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    response = render_template(
        "error.html", code=code, title=i18n.gettext(title), text=i18n.gettext(text, limit=limit)
    )
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return response, code, headers
