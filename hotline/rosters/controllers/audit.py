"""The audit log of shift changes: who changed what, when, before and after."""

from __future__ import annotations

from flask import render_template

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import N_, gettext
from hotline.core.models import Role
from hotline.rosters.audit import history
from hotline.rosters.controllers.blueprint import bp, operators

#: How line settings are named in the log (catalogue msgids).
SETTING_LABELS = {
    "name": N_("Name"),
    "hours": N_("Öffnungszeiten"),
    "closures": N_("Schließtage"),
    "holiday_state": N_("Feiertage des Bundeslands"),
    "ring_strategy": N_("Klingeln"),
    "ring_timeout": N_("Klingeldauer (Sekunden)"),
    "queue_timeout": N_("Höchste Wartezeit (Sekunden, 0: keine Warteschlange)"),
    "fallback_number": N_("Ersatznummer"),
    "partner": N_("Partner"),
    "show_caller_number": N_("Ehrenamtliche sehen die Nummer der anrufenden Person"),
    "coordinators": N_("Koordination"),
}


@bp.get("/dienstplan/protokoll")
@requires(Role.PLANNER)
def audit_log():  # noqa: ANN201
    names = {o.id: o.name for o in operators()}
    return render_template(
        "rosters/audit.html",
        entries=history(db.session),
        names=names,
        setting_labels={key: gettext(label) for key, label in SETTING_LABELS.items()},
    )
