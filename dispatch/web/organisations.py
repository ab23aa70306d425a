"""Organisations: public registration with a first member account, a coordinator's approval
or rejection, and the organisation's page where coordinators add members."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from dispatch import access, organisations
from dispatch.models import Organisation
from dispatch.web.blueprint import bp
from hotline.core.auth import sign_in
from hotline.core.extensions import db
from hotline.core.models import Role
from hotline.core.outbox import commit


@bp.route("/organisationen/registrieren", methods=["GET", "POST"])
def register_organisation():  # noqa: ANN201
    """Public: an organisation and its first member account; a coordinator approves it."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            org, user = organisations.register_organisation(
                db.session,
                form.get("name", ""),
                form.get("contact_phone", ""),
                form.get("contact_email", ""),
                username=form.get("username", ""),
                password=form.get("password", ""),
                member_name=form.get("member_name", ""),
            )
        except organisations.InvalidOrganisation as exc:
            errors = exc.errors
        else:
            commit()
            sign_in(user)
            return render_template("dispatch/org_registered.html", org=org, member=user)
    form = request.form.to_dict()
    form.pop("password", None)  # never echoed back into the page
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
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        try:
            organisations.add_member(
                db.session,
                org,
                request.form.get("username", ""),
                request.form.get("member_name", ""),
                request.form.get("password", ""),
            )
        except organisations.InvalidOrganisation as exc:
            errors = exc.errors
            db.session.rollback()
            form = {k: v for k, v in request.form.items() if k != "password"}
        else:
            commit()
            return redirect(url_for(".organisation", org_id=org.id))
    return render_template(
        "dispatch/organisation.html",
        org=org,
        members=organisations.members(db.session, org),
        errors=errors,
        form=form,
    ), (422 if errors else 200)
