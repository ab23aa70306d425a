"""Helpers as coordinators keep them: adding and editing one, importing many from CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, redirect, render_template, request, url_for

from dispatch import access, helper_import, helpers
from dispatch.forms import HelperForm, ImportForm
from dispatch.models import Helper, channel_choice
from dispatch.web.blueprint import bp
from hotline.core.extensions import db
from hotline.core.i18n import error_texts
from hotline.core.models import Role
from hotline.core.outbox import commit


@bp.route("/dispatch/helfende/neu", methods=["GET", "POST"], defaults={"helper_id": None})
@bp.route("/dispatch/helfende/<int:helper_id>", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def edit_helper(helper_id: int | None):  # noqa: ANN201
    helper = db.session.get(Helper, helper_id) if helper_id else None
    if helper_id and helper is None:
        abort(404)
    form = HelperForm(data=None if request.method == "POST" else _helper_form(helper))
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        data = form.profile()
        region = current_app.config["DEFAULT_REGION"]
        try:
            if helper is None:
                helper = helpers.create_helper(db.session, data, region)
            else:
                helpers.update_helper(db.session, helper, data, region)
        except helpers.InvalidProfile as exc:
            errors = error_texts(exc)
            db.session.rollback()
        else:
            commit()
            return redirect(url_for(".dashboard"))
    elif form.is_submitted():
        errors = form.problems()
    return render_template("dispatch/helper_form.html", helper=helper, errors=errors, form=form), (
        422 if errors else 200
    )


def _helper_form(helper: Helper | None) -> dict[str, Any] | None:
    """What the form shows of a stored helper (None: a new one, the form's defaults)."""
    if helper is None:
        return None
    return {
        "name": helper.name,
        "phone": helper.phone,
        "email": helper.email or "",
        "channels": channel_choice(helper.channels),
        "postal_code": helper.postal_code,
        "radius_km": helper.radius_km,
        "activities": helper.activities,
        "languages": ", ".join(helper.languages),
        "availability": helpers.format_availability(helper.availability or {}),
        "max_per_week": helper.max_per_week,
        "preferred_language": helper.preferred_language,
        "status": helper.status.value,
    }


@bp.route("/dispatch/helfende/import", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def import_helpers():  # noqa: ANN201
    """All or nothing (see :mod:`dispatch.helper_import`); a file over the size bound is
    refused before it is read (413)."""
    form = ImportForm()
    result = None
    problems: dict[str, str] = {}
    if form.validate_on_submit():
        region = current_app.config["DEFAULT_REGION"]
        result = helper_import.import_file(db.session, form.content(), region)
        if result.ok:
            commit()
        else:
            db.session.rollback()
    elif form.is_submitted():
        problems = form.problems()  # only sizes are checked: the file or text is too large
    status = 413 if problems else 422 if result is not None and not result.ok else 200
    return render_template(
        "dispatch/import.html",
        result=result,
        errors=problems,
        form=form,
        columns=helper_import.COLUMNS,
    ), status


@bp.get("/dispatch/helfende/import/vorlage.csv")
@access.requires(Role.COORDINATOR)
def helper_import_sample():  # noqa: ANN201
    """A sample file in the dialect the import reads (``;``, UTF-8 with BOM, German names)."""
    return Response(
        helper_import.sample(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=helfende-vorlage.csv"},
    )
