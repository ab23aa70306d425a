"""The public helper sign-up: the profile form, then the code texted to the number (double
opt-in)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for

from dispatch import helpers
from dispatch.forms import SignupCodeForm, SignupForm
from dispatch.web.blueprint import bp
from hotline.core.extensions import db
from hotline.core.outbox import commit


@bp.route("/hilfe/anmelden", methods=["GET", "POST"])
def signup():  # noqa: ANN201
    form = SignupForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            signup_row, code = helpers.start_signup(
                db.session,
                form.profile(),
                current_app.config["SECRET_KEY"],
                current_app.config["DEFAULT_REGION"],
            )
        except helpers.InvalidProfile as exc:
            errors = exc.errors
        else:
            helpers.queue_signup_code(db.session, signup_row, code)
            commit()
            return redirect(url_for(".signup_confirm", signup_id=signup_row.id))
    elif form.is_submitted():
        errors = form.problems()
    return render_template("dispatch/signup.html", errors=errors, form=form), (
        422 if errors else 200
    )


@bp.route("/hilfe/anmelden/<int:signup_id>", methods=["GET", "POST"])
def signup_confirm(signup_id: int):  # noqa: ANN201
    form = SignupCodeForm()
    error = None
    if form.validate_on_submit():
        try:
            helper = helpers.confirm_signup(
                db.session,
                signup_id,
                form.code.data,
                current_app.config["SECRET_KEY"],
                current_app.config["DEFAULT_REGION"],
            )
        except (helpers.SignupFailed, helpers.InvalidProfile) as exc:
            error = str(exc)
            db.session.commit()  # keep the attempt count
        else:
            commit()
            return render_template("dispatch/signup_done.html", helper=helper)
    elif form.is_submitted():
        error = form.code.errors[0]  # not a code: no attempt is counted
    return render_template("dispatch/signup_code.html", error=error, form=form), (
        422 if error else 200
    )
