"""Organisations: public registration with a first member account, a coordinator's approval
or rejection, and the organisation's page where coordinators add members."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for

from dispatch import access, organisations
from dispatch.forms import MemberForm, OrganisationForm
from dispatch.models import Organisation
from dispatch.web.blueprint import bp
from hotline.core.budgets import Budget, client_address, spend
from hotline.core.extensions import db
from hotline.core.i18n import error_texts
from hotline.core.models import Role
from hotline.core.outbox import commit

#: Public registrations (each stores rows and hashes a password at a stranger's request).
REGISTRATIONS = Budget(
    "registrations", per_address="REGISTRATIONS_PER_ADDRESS_HOUR", overall="REGISTRATIONS_PER_HOUR"
)


@bp.route("/organisationen/registrieren", methods=["GET", "POST"])
def register_organisation():  # noqa: ANN201
    """Public: an organisation and its first member account; a coordinator approves it.

    The answer is the same whether the username was free or taken (and nobody is signed in
    by it): the page must not tell strangers which accounts exist. A spent budget raises
    :class:`BudgetSpent` before anything is stored."""
    form = OrganisationForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        spend(REGISTRATIONS, address=client_address())
        try:
            org, _ = organisations.register_organisation(
                db.session,
                form.name.data,
                form.contact_phone.data or "",
                form.contact_email.data or "",
                username=form.username.data,
                password=form.password.data,
                member_name=form.member_name.data or "",
            )
        except organisations.InvalidOrganisation as exc:
            errors = error_texts(exc)
        else:
            commit()
            return render_template("dispatch/org_registered.html", name=org.name)
    elif form.is_submitted():
        errors = form.problems()
    # The password field is never echoed back into the page.
    return render_template("dispatch/org_register.html", errors=errors, form=form), (
        422 if errors else 200
    )


@bp.post("/dispatch/organisationen/<int:org_id>/freigeben")
@access.requires(Role.COORDINATOR)
def approve_organisation(org_id: int):  # noqa: ANN201
    org = db.session.get(Organisation, org_id) or abort(404)
    organisations.approve(db.session, org)
    commit()
    return redirect(url_for(".dashboard"))


@bp.post("/dispatch/organisationen/<int:org_id>/ablehnen")
@access.requires(Role.COORDINATOR)
def reject_organisation(org_id: int):  # noqa: ANN201
    org = db.session.get(Organisation, org_id) or abort(404)
    organisations.reject(db.session, org)
    commit()
    return redirect(url_for(".dashboard"))


@bp.route("/dispatch/organisationen/<int:org_id>", methods=["GET", "POST"])
@access.requires(Role.COORDINATOR)
def organisation(org_id: int):  # noqa: ANN201
    """An organisation's state and members; coordinators add further member accounts."""
    org = db.session.get(Organisation, org_id) or abort(404)
    form = MemberForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            organisations.add_member(
                db.session,
                org,
                form.username.data,
                form.member_name.data or "",
                form.password.data,
            )
        except organisations.InvalidOrganisation as exc:
            errors = error_texts(exc)
            db.session.rollback()
        else:
            commit()
            return redirect(url_for(".organisation", org_id=org.id))
    elif form.is_submitted():
        errors = form.problems()
    return render_template(
        "dispatch/organisation.html",
        org=org,
        members=organisations.members(db.session, org),
        errors=errors,
        form=form,
    ), (422 if errors else 200)
