"""The Today page (``/heute``): what coordinators and planners need at a glance, from every
feature, on one page.

The page knows no feature: it shows the panels the features registered for the place
``"today"`` (:meth:`~hotline.core.registry.Registry.panel`), each in its own ``<section>``
with its title. Each panel also has its own address (``/heute/<name>``) that answers just
that section, so a panel with ``refresh_seconds`` reloads itself with htmx polling
(``hx-get`` + ``hx-trigger="every Ns"``) without a page reload. Without JavaScript the full
page still shows every panel; reloading it shows the current figures.

A panel whose render fails shows a short German notice instead of taking the page down: the
other panels still matter when one feature's data is not available.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, Flask, abort, g, render_template
from markupsafe import Markup

from hotline.core.auth import load_user, requires
from hotline.core.extensions import db
from hotline.core.models import Role, utcnow
from hotline.core.registry import Panel, Registry, registry

log = logging.getLogger(__name__)

bp = Blueprint("today", __name__)

#: The place name panels register for.
PLACE = "today"
#: Roles whose start page (``/``) is the Today page.
HOME_ROLES = ("planner", "coordinator")


def init_app(app: Flask, reg: Registry) -> None:
    """Register the page, its navigation entry and the homes of coordinators and planners."""
    app.register_blueprint(bp)
    reg.nav("Heute", "today.page", "planner")
    for role in HOME_ROLES:
        reg.home(role, "today.page")


@bp.before_request
def _load_user() -> None:
    load_user()


def _panels() -> list[Panel]:
    return registry().panels_for(PLACE, g.roster_user.role.value)


def render_panel(panel: Panel, now: dt.datetime) -> Markup:
    """The panel's own markup (already escaped by its template), or a notice if it failed."""
    try:
        return Markup(panel.render(db.session, g.roster_user, now))  # noqa: S704 - escaped by the feature's template
    except Exception:
        log.exception("today panel %s failed", panel.name)
        db.session.rollback()
        return Markup(render_template("today/failed.html"))  # noqa: S704 - our template


@bp.get("/heute")
@requires(Role.PLANNER)
def page():  # noqa: ANN201
    now = utcnow()
    panels = [(panel, render_panel(panel, now)) for panel in _panels()]
    return render_template("today/page.html", panels=panels)


@bp.get("/heute/<name>")
@requires(Role.PLANNER)
def fragment(name: str):  # noqa: ANN201
    """One panel's section alone: what htmx polls, also readable on its own."""
    panel = next((p for p in _panels() if p.name == name), None)
    if panel is None:
        known = any(p.name == name for p in registry().panels.get(PLACE, []))
        abort(403 if known else 404)
    body = render_panel(panel, utcnow())
    return render_template("today/section.html", panel=panel, body=body)
