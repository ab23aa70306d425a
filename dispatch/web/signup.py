"""The public helper sign-up: the profile form, then the code texted to the number (double
opt-in)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for

from dispatch import helpers, profile
from dispatch.forms import SignupCodeForm, SignupForm
from dispatch.web.blueprint import bp
from hotline.core.budgets import Budget, client_address, spend
from hotline.core.extensions import db
from hotline.core.i18n import error_text, error_texts
from hotline.core.outbox import commit

#: Codes texted by the public sign-up (SMS pumping is the abuse this prices out).
SIGNUP_CODES = Budget(
    "signup-codes",
    per_address="SIGNUP_CODES_PER_ADDRESS_HOUR",
    per_number="SIGNUP_CODES_PER_NUMBER_HOUR",
    overall="SIGNUP_CODES_PER_HOUR",
)


@bp.route("/hilfe/anmelden", methods=["GET", "POST"])
def signup():  # noqa: ANN201
    """The same answer whether or not the number already belongs to a helper: its owner
    learns by SMS (within the same budget) instead of the visitor on the page. A spent
    budget raises :class:`BudgetSpent` before anything is stored or sent."""
    form = SignupForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        config = current_app.config
        try:
            number = helpers.signup_profile(form.profile(), config["DEFAULT_REGION"]).phone
            spend(SIGNUP_CODES, address=client_address(), number=number)
            signup_row, code = helpers.start_signup(
                db.session, form.profile(), config["SECRET_KEY"], config["DEFAULT_REGION"]
            )
        except helpers.InvalidProfile as exc:
            errors = error_texts(exc)
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
            error = error_text(exc)
            db.session.commit()  # keep the attempt count
        else:
            profile.send_welcome(db.session, helper, signup_id)  # with the personal link
            commit()
            return render_template("dispatch/signup_done.html", helper=helper)
    elif form.is_submitted():
        error = str(form.code.errors[0])  # not a code: no attempt is counted
    return render_template("dispatch/signup_code.html", error=error, form=form), (
        422 if error else 200
    )
