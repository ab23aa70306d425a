"""Long-term engagement pages.

Helpers open theirs by their personal link (:mod:`dispatch.helper_links`, no account): the
open requirement profiles ranked by fit, their time budget, their matches with status and
review date, and their certificate. Organisation members (signed in) post profiles, see
the helpers who expressed interest with consent, and confirm, pause or end matches.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Response, abort, redirect, render_template, request, url_for

from dispatch import access, certificates, engagement, helper_links
from dispatch.engagement_forms import HoursForm, InterestForm, MatchActionForm, ProfileForm
from dispatch.matching import dispatch_zone
from dispatch.models import (
    EngagementMatch,
    EngagementProfile,
    Helper,
    MatchStatus,
    Organisation,
    ProfileStatus,
)
from dispatch.web.blueprint import bp
from hotline.core.extensions import db
from hotline.core.i18n import N_, error_texts, gettext
from hotline.core.models import Role, utcnow
from hotline.core.outbox import commit

STATUS_NAMES = {
    MatchStatus.PROPOSED: N_("Interesse bekundet, Antwort der Organisation steht aus"),
    MatchStatus.ACTIVE: N_("aktiv"),
    MatchStatus.PAUSED: N_("pausiert"),
    MatchStatus.ENDED: N_("beendet"),
}
#: The longest period one certificate covers.
MAX_CERTIFICATE_DAYS = 5 * 366


def _today() -> dt.date:
    return utcnow().astimezone(ZoneInfo(dispatch_zone())).date()


def _helper(token: str) -> Helper:
    helper = helper_links.helper_for(db.session, token)
    if helper is None:
        abort(404)
    return helper


def _page_globals() -> dict:
    return {"status_name": _status_name, "MatchStatus": MatchStatus, "hours": _hours}


def _status_name(status: MatchStatus) -> str:
    """A match's status in the page's language."""
    return gettext(STATUS_NAMES[status])


def _hours(value: float) -> str:
    return f"{value:g}".replace(".", ",")


# -- helpers ---------------------------------------------------------------------------------


@bp.route("/hilfe/profil/<token>/engagements", methods=["GET", "POST"])
def helper_engagements(token: str):  # noqa: ANN201
    """The open profiles that suit the helper best first; POST sets their time budget."""
    helper = _helper(token)
    form = HoursForm(
        data=None if request.method == "POST" else {"hours_per_week": helper.hours_per_week}
    )
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        engagement.set_hours_per_week(db.session, helper, form.hours_per_week.data)
        commit()
        return redirect(url_for(".helper_engagements", token=token))
    if form.is_submitted():
        errors = form.problems()
    today = _today()
    return render_template(
        "dispatch/helper_engagements.html",
        helper=helper,
        token=token,
        fits=engagement.open_profiles_for(db.session, helper, today),
        matches=engagement.matches_of_helper(db.session, helper),
        form=form,
        errors=errors,
        period=(_since(helper, today), today),
        **_page_globals(),
    ), (422 if errors else 200)


@bp.route("/hilfe/profil/<token>/engagements/<int:profile_id>", methods=["GET", "POST"])
def helper_profile(token: str, profile_id: int):  # noqa: ANN201
    """One profile; POST expresses interest (stored only with the consent box ticked)."""
    helper = _helper(token)
    profile = db.session.get(EngagementProfile, profile_id)
    if profile is None or profile.status != ProfileStatus.OPEN:
        abort(404)
    form = InterestForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            engagement.express_interest(
                db.session,
                helper,
                profile,
                consent=form.consent.data,
                message=form.message.data or "",
                now=utcnow(),
            )
        except engagement.EngagementError as exc:
            errors = error_texts(exc)
            db.session.rollback()
        else:
            commit()
            return redirect(url_for(".helper_engagements", token=token))
    elif form.is_submitted():
        errors = form.problems()
    return render_template(
        "dispatch/engagement_profile.html",
        helper=helper,
        token=token,
        profile=profile,
        form=form,
        errors=errors,
        **_page_globals(),
    ), (422 if errors else 200)


@bp.get("/hilfe/profil/<token>/bescheinigung.pdf")
def helper_certificate(token: str):  # noqa: ANN201
    """The certificate of engagement for ``von`` – ``bis`` (default: everything so far)."""
    helper = _helper(token)
    today = _today()
    try:
        given = request.args.get("von")
        start = dt.date.fromisoformat(given) if given else _since(helper, today)
        end = dt.date.fromisoformat(request.args.get("bis") or today.isoformat())
    except ValueError:
        return _message(
            gettext("Ungültiger Zeitraum"), gettext("Bitte die Daten als JJJJ-MM-TT angeben."), 400
        )
    if end < start or (end - start).days > MAX_CERTIFICATE_DAYS:
        return _message(
            gettext("Ungültiger Zeitraum"),
            gettext("Der Zeitraum muss vorwärts laufen und höchstens 5 Jahre umfassen."),
            400,
        )
    found = certificates.figures(db.session, helper.id, start, end, utcnow(), dispatch_zone())
    if found.empty:
        return _message(
            gettext("Noch nichts zu bescheinigen"),
            gettext("Für diesen Zeitraum sind noch keine abgeschlossenen Einsätze erfasst."),
            404,
        )
    pdf = certificates.render_pdf(helper, found, today)
    filename = f"bescheinigung-{start.isoformat()}-{end.isoformat()}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _since(helper: Helper, today: dt.date) -> dt.date:
    """Where a certificate begins unless the helper says otherwise: their first help."""
    first = certificates.first_day(db.session, helper.id, dispatch_zone())
    return min(first, today) if first else today.replace(month=1, day=1)


def _message(title: str, message: str, status: int):  # noqa: ANN202
    return render_template("dispatch/message.html", title=title, message=message), status


# -- organisations ---------------------------------------------------------------------------


def _organisation() -> Organisation:
    org = access.current_organisation()
    if org is None:
        abort(403)
    return org


def _own_profile(org: Organisation, profile_id: int) -> EngagementProfile:
    profile = db.session.get(EngagementProfile, profile_id)
    if profile is None or profile.organisation_id != org.id:
        abort(404)
    return profile


@bp.route("/organisation/engagements", methods=["GET", "POST"])
@access.requires(Role.MEMBER)
def org_engagements():  # noqa: ANN201
    """The organisation's requirement profiles, and the form for a new one."""
    org = _organisation()
    form = ProfileForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            profile = engagement.create_profile(db.session, org, form.request())
        except engagement.EngagementError as exc:
            errors = error_texts(exc)
            db.session.rollback()
        else:
            commit()
            return redirect(url_for(".org_engagement", profile_id=profile.id))
    elif form.is_submitted():
        errors = form.problems()
    return render_template(
        "dispatch/org_engagements.html",
        org=org,
        profiles=engagement.profiles_of(db.session, org),
        form=form,
        errors=errors,
        **_page_globals(),
    ), (422 if errors else 200)


@bp.get("/organisation/engagements/<int:profile_id>")
@access.requires(Role.MEMBER)
def org_engagement(profile_id: int):  # noqa: ANN201
    """A profile and the helpers who expressed interest in it, each with their consent."""
    org = _organisation()
    profile = _own_profile(org, profile_id)
    return render_template(
        "dispatch/org_engagement.html",
        org=org,
        profile=profile,
        matches=engagement.matches_of_profile(db.session, profile),
        **_page_globals(),
    )


@bp.post("/organisation/engagements/<int:profile_id>/passungen/<int:match_id>")
@access.requires(Role.MEMBER)
def org_match_action(profile_id: int, match_id: int):  # noqa: ANN201
    org = _organisation()
    profile = _own_profile(org, profile_id)
    match = db.session.get(EngagementMatch, match_id)
    if match is None or match.profile_id != profile.id:
        abort(404)
    form = MatchActionForm()
    if not form.validate():
        abort(400)
    today = _today()
    action = form.action.data
    if action == "confirm":
        engagement.confirm(db.session, org, match, today)
    elif action == "pause":
        engagement.pause(db.session, org, match, today)
    elif action == "resume":
        engagement.resume(db.session, org, match, today)
    else:
        engagement.end(db.session, org, match, today)
    commit()
    return redirect(url_for(".org_engagement", profile_id=profile.id))


@bp.post("/organisation/engagements/<int:profile_id>/schliessen")
@access.requires(Role.MEMBER)
def org_close_profile(profile_id: int):  # noqa: ANN201
    org = _organisation()
    profile = _own_profile(org, profile_id)
    engagement.close_profile(db.session, org, profile)
    commit()
    return redirect(url_for(".org_engagements"))
