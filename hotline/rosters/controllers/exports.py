"""CSV import and export, and the iCalendar feeds (secret addresses, no sign-in)."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import gettext
from hotline.core.models import Role
from hotline.rosters import csvio, ical
from hotline.rosters.controllers.blueprint import actor, bp, commit, current_user
from hotline.rosters.forms import MAX_ID, ImportForm


@bp.route("/dienstplan/import", methods=["GET", "POST"])
@requires(Role.PLANNER)
def import_csv():  # noqa: ANN201
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        text = csvio.decode(form.file.data.read())
        region = current_app.config["DEFAULT_REGION"]
        if form.kind.data == "operators":
            if not current_user().role.at_least(Role.COORDINATOR):
                abort(403)
            report = csvio.import_operators(db.session, text, region)
        else:
            report = csvio.import_shifts(db.session, text, actor(), region)
        commit()
    status = 422 if form.error or (report is not None and not report.ok) else 200
    return render_template(
        "rosters/import.html", form=form, report=report, kind=form.kind.data, error=form.error
    ), status


@bp.get("/dienstplan/import/ehrenamtliche/vorlage.csv")
@requires(Role.COORDINATOR)
def operators_sample():  # noqa: ANN201
    """A sample file in the dialect the import reads (``;``, UTF-8 with BOM, German names)."""
    return _csv_download(csvio.sample_operators(), "ehrenamtliche-vorlage.csv")


@bp.get("/dienstplan/import/schichten/vorlage.csv")
@requires(Role.PLANNER)
def shifts_sample():  # noqa: ANN201
    return _csv_download(csvio.sample_shifts(db.session), "schichten-vorlage.csv")


def _csv_download(body: bytes, name: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.get("/dienstplan/export/ehrenamtliche.csv")
@requires(Role.PLANNER)
def export_operators():  # noqa: ANN201
    return Response(
        csvio.export_operators(db.session),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=ehrenamtliche.csv"},
    )


@bp.get("/dienstplan/export/schichten.csv")
@requires(Role.PLANNER)
def export_shifts():  # noqa: ANN201
    line_id = request.args.get("line_id", type=int)
    if line_id is not None and not 1 <= line_id <= MAX_ID:
        abort(404)
    return Response(
        csvio.export_shifts(db.session, line_id=line_id),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=schichten.csv"},
    )


@bp.post("/dienstplan/meine/kalender")
@requires(Role.OPERATOR)
def rotate_my_feed():  # noqa: ANN201
    """A new secret calendar address; the old one stops working (e.g. after it leaked)."""
    user = current_user()
    if user.operator_id is None:
        abort(403)
    ical.rotate_token(db.session, "operator", user.operator_id)
    commit()
    flash(gettext("Gespeichert."))
    return redirect(url_for("rosters.my_shifts"))


@bp.get("/kalender/<token>.ics")
def calendar_feed(token: str):  # noqa: ANN201
    feed = ical.feed_for_token(db.session, token) or abort(404)
    return Response(
        ical.build_calendar(db.session, feed),
        mimetype="text/calendar",
        headers={"Cache-Control": "private, max-age=300"},
    )
