"""Long-term engagement: an approved organisation posts a requirement profile (what, where,
how many hours a week, for how many months), helpers browse the open profiles ranked by how
well they fit, express interest, and the organisation confirms a match.

Privacy is the rule of the interest: a helper's interest is only stored together with their
explicit consent to be shown to the organisation (:func:`express_interest` refuses without
it), so the organisation never learns of a helper who did not agree. Confirming makes the
match active with a review date (three months after the start unless given), when both
sides look at whether it still works; the organisation can pause, resume and end it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import (
    Activity,
    EngagementMatch,
    EngagementProfile,
    Helper,
    MatchStatus,
    Organisation,
    ProfileStatus,
)
from dispatch.postcodes import UnknownPostalCode, distance_km, lookup
from dispatch.trainings import normalise, valid_names
from hotline.core.errors import DomainError, FieldErrors

REVIEW_AFTER_MONTHS = 3


class EngagementError(FieldErrors):
    """An engagement profile, match or setting that cannot be stored; refusals by field."""


@dataclass(frozen=True)
class ProfileRequest:
    title: str
    activity: str
    postal_code: str
    radius_km: int
    hours_per_week: float
    duration_months: int
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("de",)
    description: str = ""


def create_profile(
    session: Session, org: Organisation, wanted: ProfileRequest
) -> EngagementProfile:
    """An open requirement profile of ``org``; refused unless the organisation is approved."""
    errors: dict[str, DomainError] = {}
    if not org.approved:
        errors["organisation"] = DomainError("organisation_not_approved")
    if not wanted.title.strip():
        errors["title"] = DomainError("engagement_title_missing")
    try:
        activity = Activity(wanted.activity)
    except ValueError:
        errors["activity"] = DomainError("activity_unknown")
    try:
        place = lookup(wanted.postal_code)
    except UnknownPostalCode:
        errors["postal_code"] = DomainError("postal_code_not_known")
    if not 0 < wanted.hours_per_week <= 40:
        errors["hours_per_week"] = DomainError("engagement_hours_out_of_range")
    if not 1 <= wanted.duration_months <= 60:
        errors["duration_months"] = DomainError("engagement_duration_out_of_range")
    if not 1 <= wanted.radius_km <= 50:
        errors["radius_km"] = DomainError("engagement_radius_out_of_range")
    if errors:
        raise EngagementError(errors)
    profile = EngagementProfile(
        organisation_id=org.id,
        title=wanted.title.strip(),
        activity=activity,
        postal_code=place.postal_code,
        lat=place.lat,
        lon=place.lon,
        radius_km=wanted.radius_km,
        hours_per_week=wanted.hours_per_week,
        duration_months=wanted.duration_months,
        description=wanted.description.strip(),
    )
    profile.skills = [normalise(s) for s in wanted.skills]
    profile.languages = list(wanted.languages) or ["de"]
    session.add(profile)
    session.flush()
    return profile


def close_profile(session: Session, org: Organisation, profile: EngagementProfile) -> None:
    """No longer shown to helpers; matches already made stay as they are."""
    _own(org, profile)
    profile.status = ProfileStatus.CLOSED


def profiles_of(session: Session, org: Organisation) -> list[EngagementProfile]:
    return list(
        session.scalars(
            select(EngagementProfile)
            .where(EngagementProfile.organisation_id == org.id)
            .order_by(EngagementProfile.id.desc())
        )
    )


# -- what a helper sees ----------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """How well an open profile suits a helper; :attr:`key` sorts the best first."""

    profile: EngagementProfile
    distance_km: float
    time_fits: bool  # the helper's hours per week cover the profile's
    activity_fits: bool  # among the helper's activities
    skills_missing: tuple[str, ...] = field(default=())
    languages_fit: bool = True

    @property
    def key(self) -> tuple:
        return (
            not self.time_fits,
            not self.activity_fits,
            len(self.skills_missing),
            not self.languages_fit,
            round(self.distance_km, 1),
            self.profile.id,
        )


def open_profiles_for(session: Session, helper: Helper, today: dt.date) -> list[Fit]:
    """Open profiles of approved organisations within reach of ``helper`` (their radius or
    the profile's, whichever is larger), best fit first: time budget, then activities, then
    skills and trainings, then languages, then distance. Profiles the helper already
    answered are left out (they are listed as the helper's matches)."""
    answered = select(EngagementMatch.profile_id).where(EngagementMatch.helper_id == helper.id)
    stmt = (
        select(EngagementProfile)
        .join(Organisation, Organisation.id == EngagementProfile.organisation_id)
        .where(
            EngagementProfile.status == ProfileStatus.OPEN,
            Organisation.approved_at.is_not(None),
            EngagementProfile.id.not_in(answered),
        )
    )
    skills = valid_names(session, helper.id, today)
    fits = []
    for profile in session.scalars(stmt):
        distance = distance_km(helper.lat, helper.lon, profile.lat, profile.lon)
        if distance > max(helper.radius_km, profile.radius_km):
            continue
        fits.append(
            Fit(
                profile=profile,
                distance_km=distance,
                time_fits=helper.hours_per_week is not None
                and helper.hours_per_week >= profile.hours_per_week,
                activity_fits=profile.activity.value in helper.activities,
                skills_missing=tuple(s for s in profile.skills if s not in skills),
                languages_fit=not profile.languages
                or bool(set(profile.languages) & set(helper.languages)),
            )
        )
    return sorted(fits, key=lambda f: f.key)


def set_hours_per_week(session: Session, helper: Helper, hours: float | None) -> None:
    if hours is not None and not 0 <= hours <= 80:
        raise EngagementError({"hours_per_week": DomainError("helper_hours_out_of_range")})
    helper.hours_per_week = hours


def express_interest(
    session: Session,
    helper: Helper,
    profile: EngagementProfile,
    *,
    consent: bool,
    message: str = "",
    now: dt.datetime,
) -> EngagementMatch:
    """A proposed match, stored only with ``consent`` to be shown to the organisation."""
    if not consent:
        raise EngagementError({"consent": DomainError("engagement_consent_missing")})
    if profile.status != ProfileStatus.OPEN:
        raise EngagementError({"profile": DomainError("engagement_closed")})
    match = session.scalar(
        select(EngagementMatch).where(
            EngagementMatch.profile_id == profile.id, EngagementMatch.helper_id == helper.id
        )
    )
    if match is not None:
        return match
    match = EngagementMatch(
        profile_id=profile.id,
        helper_id=helper.id,
        consent_at=now,
        message=message.strip()[:2000],
        hours_per_week=profile.hours_per_week,
    )
    session.add(match)
    session.flush()
    return match


def matches_of_helper(session: Session, helper: Helper) -> list[EngagementMatch]:
    return list(
        session.scalars(
            select(EngagementMatch)
            .where(EngagementMatch.helper_id == helper.id)
            .order_by(EngagementMatch.id.desc())
        )
    )


# -- what the organisation sees and decides --------------------------------------------------


def matches_of_profile(session: Session, profile: EngagementProfile) -> list[EngagementMatch]:
    """The helpers who expressed interest (every one of them consented) and the matches."""
    return list(
        session.scalars(
            select(EngagementMatch)
            .where(
                EngagementMatch.profile_id == profile.id,
                EngagementMatch.consent_at.is_not(None),
            )
            .order_by(EngagementMatch.id)
        )
    )


def confirm(
    session: Session,
    org: Organisation,
    match: EngagementMatch,
    today: dt.date,
    review_on: dt.date | None = None,
) -> None:
    """The organisation takes the helper on: the match is active from ``today`` and due for
    review three months later (or on ``review_on``)."""
    _own(org, match.profile)
    if match.status != MatchStatus.PROPOSED:
        return
    match.status = MatchStatus.ACTIVE
    match.started_on = today
    match.review_on = review_on or today + relativedelta(months=REVIEW_AFTER_MONTHS)


def pause(session: Session, org: Organisation, match: EngagementMatch, today: dt.date) -> None:
    _own(org, match.profile)
    if match.status == MatchStatus.ACTIVE:
        match.status = MatchStatus.PAUSED
        match.paused_on = today


def resume(session: Session, org: Organisation, match: EngagementMatch, today: dt.date) -> None:
    """Active again; the pause is kept, so that its weeks are not certified."""
    _own(org, match.profile)
    if match.status == MatchStatus.PAUSED:
        match.status = MatchStatus.ACTIVE
        if match.paused_on is not None and match.paused_on < today:
            match.pauses = [*(match.pauses or []), [match.paused_on.isoformat(), today.isoformat()]]
        match.paused_on = None


def end(session: Session, org: Organisation, match: EngagementMatch, today: dt.date) -> None:
    """Ended (a proposal that is ended was declined: it never started)."""
    _own(org, match.profile)
    if match.status == MatchStatus.ENDED:
        return
    if match.status == MatchStatus.PAUSED and match.paused_on is not None:
        today = min(today, match.paused_on)
    match.status = MatchStatus.ENDED
    match.ended_on = today if match.started_on is not None else None


def _own(org: Organisation, profile: EngagementProfile) -> None:
    if profile.organisation_id != org.id:
        raise EngagementError({"profile": DomainError("engagement_not_own")})
