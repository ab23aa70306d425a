"""The public helper sign-up: the profile form, then the code texted to the number (double
opt-in)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from dispatch import helpers, texts
from dispatch.offers import OUTBOX_DRAIN
from dispatch.outbound import queue_sms
from dispatch.web.blueprint import bp
from hotline.core.extensions import db
from hotline.core.outbox import add_message, commit


@bp.route("/hilfe/anmelden", methods=["GET", "POST"])
def signup():  # noqa: ANN201
    errors: dict[str, str] = {}
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        data = {**form, "activities": request.form.getlist("activities")}
        try:
            signup_row, code = helpers.start_signup(
                db.session,
                data,
                current_app.config["SECRET_KEY"],
                current_app.config["DEFAULT_REGION"],
            )
        except helpers.InvalidProfile as exc:
            errors = exc.errors
        else:
            language = signup_row.profile.get("preferred_language") or "de"
            queue_sms(
                db.session,
                f"signup:{signup_row.id}",
                signup_row.phone,
                texts.sms("signup_code", language, code=code),
            )
            add_message(db.session, OUTBOX_DRAIN, {"ticket_id": None})
            commit()
            return redirect(url_for(".signup_confirm", signup_id=signup_row.id))
    return render_template(
        "dispatch/signup.html", errors=errors, form=form, chosen=request.form.getlist("activities")
    ), (422 if errors else 200)


@bp.route("/hilfe/anmelden/<int:signup_id>", methods=["GET", "POST"])
def signup_confirm(signup_id: int):  # noqa: ANN201
    error = None
    if request.method == "POST":
        try:
            helper = helpers.confirm_signup(
                db.session,
                signup_id,
                request.form.get("code", ""),
                current_app.config["SECRET_KEY"],
                current_app.config["DEFAULT_REGION"],
            )
        except (helpers.SignupFailed, helpers.InvalidProfile) as exc:
            error = str(exc)
            db.session.commit()  # keep the attempt count
        else:
            commit()
            return render_template("dispatch/signup_done.html", helper=helper)
    return render_template("dispatch/signup_code.html", error=error), (422 if error else 200)
