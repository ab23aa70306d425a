"""Helpers as coordinators keep them: adding and editing one, importing many from CSV."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for

from dispatch import access, helpers
from dispatch.models import Helper
from dispatch.web.blueprint import bp
from hotline.core.extensions import db
from hotline.core.models import Role
from hotline.core.outbox import commit


@bp.route("/dispatch/helfende/neu", methods=["GET", "POST"], defaults={"helper_id": None})
@bp.route("/dispatch/helfende/<int:helper_id>", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def edit_helper(helper_id: int | None):  # noqa: ANN201
    helper = db.session.get(Helper, helper_id) if helper_id else None
    if helper_id and helper is None:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = {**request.form.to_dict(), "activities": request.form.getlist("activities")}
        region = current_app.config["DEFAULT_REGION"]
        try:
            if helper is None:
                helper = helpers.create_helper(db.session, data, region)
            else:
                helpers.update_helper(db.session, helper, data, region)
        except helpers.InvalidProfile as exc:
            errors = exc.errors
            db.session.rollback()
        else:
            commit()
            return redirect(url_for(".dashboard"))
    form = request.form.to_dict() if request.method == "POST" else _helper_form(helper)
    chosen = (
        request.form.getlist("activities")
        if request.method == "POST"
        else (helper.activities if helper else [])
    )
    return render_template(
        "dispatch/helper_form.html", helper=helper, errors=errors, form=form, chosen=chosen
    ), (422 if errors else 200)


def _helper_form(helper: Helper | None) -> dict[str, str]:
    if helper is None:
        return {}
    return {
        "name": helper.name,
        "phone": helper.phone,
        "email": helper.email or "",
        "postal_code": helper.postal_code,
        "radius_km": str(helper.radius_km),
        "languages": ", ".join(helper.languages),
        "availability": helpers.format_availability(helper.availability or {}),
        "max_per_week": str(helper.max_per_week),
        "preferred_language": helper.preferred_language,
        "status": helper.status.value,
    }


@bp.route("/dispatch/helfende/import", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def import_helpers():  # noqa: ANN201
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        raw = upload.read() if upload else request.form.get("csv", "").encode()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            result = helpers.ImportResult(errors=[(0, "Die Datei ist nicht UTF-8-kodiert.")])
        else:
            result = helpers.import_csv(db.session, text, current_app.config["DEFAULT_REGION"])
        if result.ok:
            commit()
        else:
            db.session.rollback()
    return render_template("dispatch/import.html", result=result, columns=helpers.CSV_COLUMNS), (
        422 if result is not None and not result.ok else 200
    )
