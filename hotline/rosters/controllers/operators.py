"""The operators: the list for planners, adding and changing them for coordinators."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for

from hotline.core.auth import requires
from hotline.core.extensions import db
from hotline.core.i18n import gettext
from hotline.core.models import Role
from hotline.core.oncall.models import Operator, OperatorStatus
from hotline.core.oncall.operators import KNOWN_LANGUAGES
from hotline.rosters import ical
from hotline.rosters.controllers.blueprint import bp, commit, form_for, operators, save
from hotline.rosters.forms import OperatorForm
from hotline.rosters.operator_edits import add_operator, update_operator


@bp.get("/dienstplan/ehrenamtliche", endpoint="operators")
@requires(Role.PLANNER)
def operators_list():  # noqa: ANN201
    return render_template("rosters/operators.html", operators=operators())


@bp.route("/dienstplan/ehrenamtliche/neu", methods=["GET", "POST"], defaults={"operator_id": None})
@bp.route("/dienstplan/ehrenamtliche/<int:operator_id>", methods=["GET", "POST"])
@requires(Role.COORDINATOR)
def edit_operator(operator_id: int | None):  # noqa: ANN201
    operator = db.session.get(Operator, operator_id) if operator_id else None
    if operator_id and operator is None:
        abort(404)
    if operator is None:
        form = form_for(OperatorForm, languages=["de"], status=OperatorStatus.ACTIVE.value)
    else:
        form = form_for(
            OperatorForm,
            name=operator.name,
            phone=operator.phone_number,
            languages=operator.languages,
            status=operator.status.value,
        )
    region = current_app.config["DEFAULT_REGION"]

    def store() -> Operator:
        details = (form.name.data, form.phone.data, form.languages.data, form.status.data)
        if operator is None:
            return add_operator(db.session, *details, region=region)
        return update_operator(db.session, operator.id, *details, region=region)

    if save(form, store):
        flash(gettext("Gespeichert."))
        return redirect(url_for("rosters.operators"))
    token = ical.feed_token(db.session, "operator", operator.id) if operator else None
    commit()
    return render_template(
        "rosters/operator_form.html",
        operator=operator,
        form=form,
        known_languages=sorted(KNOWN_LANGUAGES),
        error=form.error,
        feed_token=token,
    ), form.http_status
