"""Trainings as coordinators keep them: a helper's trainings (with the helper's personal
link to their engagement pages), and the trainings each activity requires."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from dispatch import access, helper_links, texts, trainings
from dispatch.engagement_forms import ActivityTrainingForm, TrainingForm
from dispatch.models import Activity, Helper
from dispatch.web.blueprint import bp
from hotline.core.extensions import db
from hotline.core.i18n import current_language, error_texts
from hotline.core.models import Role
from hotline.core.outbox import commit


@bp.route("/dispatch/helfende/<int:helper_id>/schulungen", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def helper_trainings(helper_id: int):  # noqa: ANN201
    helper = db.session.get(Helper, helper_id) or abort(404)
    form = TrainingForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            trainings.add_training(
                db.session, helper, form.name.data, form.completed_on.data, form.valid_until.data
            )
        except trainings.InvalidTraining as exc:
            errors = error_texts(exc)
            db.session.rollback()
        else:
            commit()
            return redirect(url_for(".helper_trainings", helper_id=helper.id))
    elif form.is_submitted():
        errors = form.problems()
    link = url_for(".helper_engagements", token=helper_links.token_for(helper), _external=True)
    return render_template(
        "dispatch/helper_trainings.html",
        helper=helper,
        trainings=trainings.trainings_of(db.session, helper.id),
        form=form,
        errors=errors,
        personal_link=link,
    ), (422 if errors else 200)


@bp.post("/dispatch/helfende/<int:helper_id>/schulungen/<int:training_id>/loeschen")
@access.requires(Role.COORDINATOR)
def remove_helper_training(helper_id: int, training_id: int):  # noqa: ANN201
    helper = db.session.get(Helper, helper_id) or abort(404)
    trainings.remove_training(db.session, helper, training_id)
    commit()
    return redirect(url_for(".helper_trainings", helper_id=helper.id))


@bp.route("/dispatch/schulungen", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def activity_trainings():  # noqa: ANN201
    """Which trainings each activity requires; waves ask only helpers who hold them."""
    form = ActivityTrainingForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            trainings.require(db.session, form.activity.data, form.name.data)
        except trainings.InvalidTraining as exc:
            errors = error_texts(exc)
            db.session.rollback()
        else:
            commit()
            return redirect(url_for(".activity_trainings"))
    elif form.is_submitted():
        errors = form.problems()
    return render_template(
        "dispatch/activity_trainings.html",
        required=trainings.requirements(db.session),
        activities=[(a.value, texts.activity_name(a.value, current_language())) for a in Activity],
        form=form,
        errors=errors,
    ), (422 if errors else 200)


@bp.post("/dispatch/schulungen/entfernen")
@access.requires(Role.COORDINATOR)
def remove_activity_training():  # noqa: ANN201
    trainings.unrequire(
        db.session, request.form.get("activity", ""), request.form.get("name", "")[:120]
    )
    commit()
    return redirect(url_for(".activity_trainings"))
