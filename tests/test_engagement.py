"""Trainings, long-term engagement and certificates of engagement.

* A wave asks only helpers who hold every training the ticket's activity requires, valid on
  the day of the help.
* Organisations post requirement profiles; helpers see them ranked by fit on their personal
  page, express interest with consent; the organisation sees them and confirms a match.
* A helper downloads a certificate whose figures are the records'.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from dateutil.relativedelta import relativedelta
from pypdf import PdfReader
from sqlalchemy import select

from dispatch import certificates, engagement, helper_links, organisations, trainings
from dispatch.models import (
    ActivityTraining,
    EngagementMatch,
    HelperTraining,
    MatchStatus,
    Organisation,
    TicketSource,
)
from dispatch.offers import accept, decline
from dispatch.waves import create_offers, send_wave
from hotline.core.models import Role
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket, offers
from tests.roster_support import PASSWORD, login, make_user

DAY = DAYTIME.date()  # Wednesday 11 March 2026


@pytest.fixture
def ctx(app):
    """The app; requests run in their own app context, domain calls in ``with ctx.app_context()``."""
    configure(app)
    return app


@pytest.fixture
def client(ctx):  # noqa: ANN201
    return ctx.test_client()


def csrf(client, path: str) -> str:  # noqa: ANN001
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post(client, path: str, data: dict | None = None, form_page: str | None = None):  # noqa: ANN001, ANN201
    """POST as the browser would, with the CSRF token of the page that shows the form."""
    token = csrf(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def approved_org(session, name: str = "Tafel Mitte", username: str = "tafel") -> Organisation:  # noqa: ANN001
    org, _ = organisations.register_organisation(
        session, name, username=username, password=PASSWORD, member_name="Frau Tafel"
    )
    organisations.approve(session, org)
    session.flush()
    return org


def personal_link(app, helper) -> str:  # noqa: ANN001
    with app.app_context():
        return f"/hilfe/profil/{helper_links.token_for(helper)}/engagements"


def a_profile(session, org, **kw) -> object:  # noqa: ANN001, ANN003
    wanted = engagement.ProfileRequest(
        title=kw.pop("title", "Lesepatenschaft"),
        activity=kw.pop("activity", "phone_company"),
        postal_code=kw.pop("postal_code", "10115"),
        radius_km=kw.pop("radius_km", 10),
        hours_per_week=kw.pop("hours_per_week", 2),
        duration_months=kw.pop("duration_months", 6),
        skills=tuple(kw.pop("skills", ())),
        description=kw.pop("description", "Wöchentliche Telefonate mit einer älteren Dame"),
    )
    assert not kw, kw
    return engagement.create_profile(session, org, wanted)


# -- trainings and waves ----------------------------------------------------------------------


def test_a_wave_asks_only_helpers_holding_the_activitys_training_valid_on_the_day(ctx, session):
    trained = make_helper(session, activities=["accompaniment"])
    lifelong = make_helper(session, activities=["accompaniment"])
    expired = make_helper(session, activities=["accompaniment"])
    untrained = make_helper(session, activities=["accompaniment"])
    other_training = make_helper(session, activities=["accompaniment"])
    with ctx.app_context():
        trainings.require(session, "accompaniment", "Erste Hilfe")
        year_ago = DAY - dt.timedelta(days=365)
        trainings.add_training(session, trained, "erste hilfe", year_ago, DAY)  # last valid day
        trainings.add_training(session, lifelong, "  Erste   Hilfe ", year_ago)
        trainings.add_training(session, expired, "Erste Hilfe", year_ago, DAY - dt.timedelta(1))
        trainings.add_training(session, other_training, "Lebensmittelhygiene", year_ago)
        ticket = make_ticket(session, activity="accompaniment", needed=5)
        send_wave(session, ticket.id, 1, DAYTIME)
    asked = {o.helper_id for o in offers(session, ticket)}
    assert asked == {trained.id, lifelong.id}
    assert not asked & {expired.id, untrained.id, other_training.id}


def test_a_training_required_for_another_activity_does_not_narrow_the_wave(ctx, session):
    untrained = make_helper(session, activities=["shopping"])
    with ctx.app_context():
        trainings.require(session, "accompaniment", "Erste Hilfe")
        ticket = make_ticket(session, activity="shopping")
        send_wave(session, ticket.id, 1, DAYTIME)
    assert [o.helper_id for o in offers(session, ticket)] == [untrained.id]


def test_coordinators_keep_trainings_and_requirements_on_their_pages(client, session):
    helper = make_helper(session)
    make_user(session, Role.COORDINATOR, username="koordination")
    assert login(client, "koordination").status_code == 302
    path = f"/dispatch/helfende/{helper.id}/schulungen"
    response = post(
        client, path, {"name": "Erste Hilfe", "completed_on": "2025-05-01", "valid_until": ""}
    )
    assert response.status_code == 302
    response = post(
        client, "/dispatch/schulungen", {"activity": "accompaniment", "name": "Erste Hilfe"}
    )
    assert response.status_code == 302
    [training] = session.scalars(select(HelperTraining)).all()
    assert (training.helper_id, training.name, training.completed_on, training.valid_until) == (
        helper.id,
        "Erste Hilfe",
        dt.date(2025, 5, 1),
        None,
    )
    [rule] = session.scalars(select(ActivityTraining)).all()
    assert (rule.activity.value, rule.training_name) == ("accompaniment", "erste hilfe")
    page = client.get(path).get_data(as_text=True)
    assert "Erste Hilfe, 01.05.2025, unbegrenzt gültig" in page
    assert "/hilfe/profil/" in page  # the helper's personal link, to pass on


def test_a_training_cannot_expire_before_it_was_done(ctx, session):
    helper = make_helper(session)
    with pytest.raises(trainings.InvalidTraining) as raised:
        trainings.add_training(session, helper, "Erste Hilfe", DAY, DAY - dt.timedelta(days=1))
    assert set(raised.value.errors) == {"valid_until"}


# -- long-term engagement ---------------------------------------------------------------------


def test_open_profiles_are_ranked_by_time_budget_then_activity_then_trainings(ctx, session):
    org = approved_org(session)
    helper = make_helper(session, activities=["phone_company"])
    helper.hours_per_week = 3
    trainings.add_training(session, helper, "Erste Hilfe", DAY - dt.timedelta(days=30))
    too_long = a_profile(session, org, title="Zu lang", hours_per_week=10)
    other_activity = a_profile(session, org, title="Andere", activity="shopping")
    missing_skill = a_profile(session, org, title="Ohne Kurs", skills=["Demenzbegleitung"])
    best = a_profile(session, org, title="Passt", skills=["erste hilfe"])
    a_profile(session, org, title="Zu weit", postal_code="80331")  # Munich
    fits = engagement.open_profiles_for(session, helper, DAY)
    assert [f.profile.id for f in fits] == [
        best.id,
        missing_skill.id,
        other_activity.id,
        too_long.id,
    ]
    assert fits[1].skills_missing == ("demenzbegleitung",)


def test_long_term_round_trip_from_profile_to_an_active_match_with_its_review_date(client, session):
    approved_org(session)
    helper = make_helper(session, name="Hanna Helferin", activities=["phone_company"])
    link = personal_link(client.application, helper)
    assert login(client, "tafel").status_code == 302
    response = post(
        client,
        "/organisation/engagements",
        {
            "title": "Telefonpatenschaft",
            "activity": "phone_company",
            "skills": "",
            "languages": "de",
            "postal_code": "10115",
            "radius_km": "10",
            "hours_per_week": "2",
            "duration_months": "6",
            "description": "Einmal pro Woche anrufen",
        },
    )
    assert response.status_code == 302
    org_page = response.headers["Location"]
    profile_id = int(org_page.rstrip("/").rsplit("/", 1)[1])

    helper_client = client.application.test_client()
    response = post(helper_client, link, {"hours_per_week": "4"})
    assert response.status_code == 302
    page = helper_client.get(link).get_data(as_text=True)
    assert "Telefonpatenschaft" in page and "passt zu Ihrer Zeit" in page
    profile_path = link + f"/{profile_id}"
    response = post(helper_client, profile_path, {"consent": "y", "message": "Gern dienstags"})
    assert response.status_code == 302

    page = client.get(org_page).get_data(as_text=True)
    assert "Hanna Helferin" in page and helper.phone in page and "Gern dienstags" in page
    [match] = session.scalars(select(EngagementMatch)).all()
    response = post(
        client,
        f"/organisation/engagements/{profile_id}/passungen/{match.id}",
        {"action": "confirm"},
        form_page=org_page,
    )
    assert response.status_code == 302

    session.expire_all()
    assert match.status == MatchStatus.ACTIVE
    assert match.review_on == match.started_on + relativedelta(months=3)
    review = match.review_on.strftime("%d.%m.%Y")
    for page in (client.get(org_page), helper_client.get(link)):
        text = page.get_data(as_text=True)
        assert (
            'data-status="active"' in text
            and f'Überprüfung am <span class="review">{review}' in text
        )


def test_without_consent_the_organisation_sees_nothing(client, session):
    org = approved_org(session)
    helper = make_helper(session, name="Nora Nichtfreigabe")
    profile = a_profile(session, org)
    path = personal_link(client.application, helper) + f"/{profile.id}"
    helper_client = client.application.test_client()
    response = post(helper_client, path, {"message": "Vielleicht"})
    assert response.status_code == 422
    assert "Einwilligung" in response.get_data(as_text=True)
    assert session.scalars(select(EngagementMatch)).all() == []
    assert login(client, "tafel").status_code == 302
    page = client.get(f"/organisation/engagements/{profile.id}").get_data(as_text=True)
    assert "Nora" not in page and helper.phone not in page and "Vielleicht" not in page
    assert 'id="no-interest"' in page


def test_members_of_another_organisation_cannot_see_a_profiles_helpers(client, session):
    org = approved_org(session)
    approved_org(session, name="Kiezladen", username="kiez")
    helper = make_helper(session)
    profile = a_profile(session, org)
    engagement.express_interest(session, helper, profile, consent=True, now=DAYTIME)
    assert login(client, "kiez").status_code == 302
    assert client.get(f"/organisation/engagements/{profile.id}").status_code == 404


def test_an_organisation_not_yet_approved_cannot_post_a_profile(ctx, session):
    org, _ = organisations.register_organisation(session, "Neu", username="neu", password=PASSWORD)
    with pytest.raises(engagement.EngagementError) as raised:
        a_profile(session, org)
    assert "organisation" in raised.value.errors


def test_a_personal_link_tampered_with_or_expired_opens_nothing(client, session, monkeypatch):
    helper = make_helper(session)
    link = personal_link(client.application, helper)
    assert client.get(link).status_code == 200
    token = link.split("/")[3]
    assert client.get(link.replace(token, token[:-2] + "xx")).status_code == 404
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp()
    with monkeypatch.context() as m:
        m.setattr("itsdangerous.timed.time.time", lambda: long_ago)
        old = personal_link(client.application, helper)
    assert client.get(old).status_code == 404


# -- certificates -----------------------------------------------------------------------------


def done_help(app, session, helper, **kw):  # noqa: ANN001, ANN003, ANN201
    """A ticket ``helper`` accepted (so it is filled), with its window in the past."""
    ticket = make_ticket(session, **kw)
    with app.app_context():
        create_offers(session, ticket, [helper.id], 1, DAYTIME)
        accept(session, offers(session, ticket)[0])
    session.flush()
    return ticket


def engagement_record(session, app):  # noqa: ANN001, ANN201
    """A helper with two helps done, one declined, one outside the period, and a match of
    4 h a week that ran from 5 January to 2 March 2026 (56 days)."""
    org = approved_org(session)
    helper = make_helper(session, name="Paul Pate", activities=["shopping", "accompaniment"])
    done_help(app, session, helper)  # 3 h shopping, by phone
    callout = make_ticket(
        session, activity="accompaniment", window_end=DAYTIME + dt.timedelta(hours=2)
    )
    callout.source, callout.organisation_id = TicketSource.ORGANISATION, org.id
    with app.app_context():
        create_offers(session, callout, [helper.id], 1, DAYTIME)
        accept(session, offers(session, callout)[0])
        declined = make_ticket(session)
        create_offers(session, declined, [helper.id], 1, DAYTIME)
        decline(session, offers(session, declined)[0])
    done_help(app, session, helper, window_start=dt.datetime(2026, 8, 3, 9, tzinfo=dt.UTC))
    profile = a_profile(session, org, hours_per_week=4)
    match = engagement.express_interest(session, helper, profile, consent=True, now=DAYTIME)
    engagement.confirm(session, org, match, dt.date(2026, 1, 5))
    engagement.end(session, org, match, dt.date(2026, 3, 2))
    session.flush()
    return helper


def test_the_certificates_figures_are_the_records(ctx, session):
    helper = engagement_record(session, ctx)
    now = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    found = certificates.figures(
        session, helper.id, dt.date(2026, 1, 1), dt.date(2026, 6, 30), now, "Europe/Berlin"
    )
    assert found.lines == (
        certificates.Line("Rufbereit Nachbarschaftshilfe", "shopping", "ticket", 1, 3.0),
        certificates.Line("Tafel Mitte", "accompaniment", "ticket", 1, 2.0),
        certificates.Line("Tafel Mitte", "phone_company", "engagement", 1, 32.0),  # 4 h × 8 wk
    )
    assert (found.hours, found.helps, found.engagements) == (37.0, 2, 1)


def test_the_weeks_a_match_was_paused_are_not_certified(ctx, session):
    org = approved_org(session)
    helper = make_helper(session)
    match = engagement.express_interest(
        session, helper, a_profile(session, org, hours_per_week=4), consent=True, now=DAYTIME
    )
    engagement.confirm(session, org, match, dt.date(2026, 1, 5))
    engagement.pause(session, org, match, dt.date(2026, 1, 19))
    engagement.resume(session, org, match, dt.date(2026, 2, 2))  # two weeks off
    engagement.end(session, org, match, dt.date(2026, 3, 2))
    now = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    found = certificates.figures(
        session, helper.id, dt.date(2026, 1, 1), dt.date(2026, 12, 31), now, "Europe/Berlin"
    )
    assert found.hours == 24.0  # 4 h × (8 - 2) weeks


def test_a_help_counts_only_once_its_window_has_passed(ctx, session):
    helper = make_helper(session)
    done_help(ctx, session, helper)
    during = DAYTIME + dt.timedelta(hours=1)
    found = certificates.figures(session, helper.id, DAY, DAY, during, "Europe/Berlin")
    assert found.empty


def test_the_certificate_pdf_carries_the_figures_and_nothing_of_the_requesters(client, session):
    helper = engagement_record(session, client.application)
    link = personal_link(client.application, helper).removesuffix("/engagements")
    response = client.get(f"{link}/bescheinigung.pdf?von=2026-01-01&bis=2026-06-30")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Rufbereit" in text and "Bescheinigung über ehrenamtliches Engagement" in text
    assert "Paul Pate" in text and "01.01.2026 bis 30.06.2026" in text
    assert "Stunden insgesamt: 37,0" in text
    assert "Einzelne Einsätze: 2" in text and "Längerfristige Engagements: 1" in text
    assert "Tafel Mitte" in text and "Begleitung" in text and "32,0" in text
    for private in ("Erika", "Invalidenstraße", "12345678", "Einkauf für die Woche"):
        assert private not in text


def test_a_certificate_without_dates_covers_everything_since_the_first_help(client, session):
    helper = engagement_record(session, client.application)
    link = personal_link(client.application, helper).removesuffix("/engagements")
    response = client.get(f"{link}/bescheinigung.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "vom 05.01.2026 bis" in text  # the match began before the first ticket
    assert "Stunden insgesamt: 40,0" in text  # the August help (3 h) counts too


def test_a_certificate_for_a_period_without_help_is_refused(client, session):
    helper = make_helper(session)
    link = personal_link(client.application, helper).removesuffix("/engagements")
    response = client.get(f"{link}/bescheinigung.pdf?von=2026-01-01&bis=2026-06-30")
    assert response.status_code == 404
    assert "Noch nichts zu bescheinigen" in response.get_data(as_text=True)


# -- migration --------------------------------------------------------------------------------


def test_0014_adds_the_engagement_tables_and_downgrades(tmp_path):
    from sqlalchemy import create_engine, inspect

    from hotline.core.migrations import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"dispatch_helper_trainings", "dispatch_engagement_matches"} <= tables
    downgrade(url, "0013")
    inspector = inspect(engine)
    assert not inspector.has_table("dispatch_engagement_profiles")
    assert "hours_per_week" not in {c["name"] for c in inspector.get_columns("dispatch_helpers")}
    engine.dispose()
