"""The helper's own page, ``/hilfe/profil/<token>``, opened by their personal link (no
account: the signed token is the key, :mod:`dispatch.helper_links`). An expired link or an
opted-out helper gets the 410 page.

What they do there goes through the same domain functions as everything else
(:mod:`dispatch.profile`, :func:`dispatch.offers.accept`); the export is the product's
data-subject export for their number (:func:`hotline.core.retention.export_person`), and
deleting is dispatch's part of ``rufbereit privacy erase`` for their number
(:func:`dispatch.privacy.erase_person`: the profile with its offers, trainings and matches,
plus anything of theirs as a requester) — their hotline records, if they also answer the
hotline as an operator, are not the helper page's to delete.
"""

from __future__ import annotations

import json

from flask import Response, abort, redirect, render_template, request, url_for

from dispatch import engagement, helper_links, privacy, profile, texts
from dispatch.forms import OfferAnswerForm
from dispatch.helpers import format_availability
from dispatch.models import Helper, HelperStatus, OfferState, channel_choice
from dispatch.offers import Outcome
from dispatch.profile_forms import EraseForm, SettingsForm
from dispatch.web.blueprint import bp, local_time, use_language
from hotline.core.extensions import db
from hotline.core.i18n import N_, error_texts, gettext
from hotline.core.models import utcnow
from hotline.core.outbox import commit
from hotline.core.retention import export_person


def _helper(token: str) -> Helper:
    helper = helper_links.helper_for(db.session, token)
    if helper is None:
        abort(410)
    use_language(texts.helper_language(helper))
    return helper


def _settings_form(helper: Helper, *, submitted: bool) -> SettingsForm:
    """The settings form: as posted, or filled in with what is stored."""
    if submitted:
        return SettingsForm()
    return SettingsForm(
        formdata=None,
        data={
            "paused": helper.status == HelperStatus.PAUSED,
            "availability": format_availability(helper.availability or {}),
            "language": helper.preferred_language,
            "channels": channel_choice(helper.channels),
            "email": helper.email or "",
        },
    )


@bp.route("/hilfe/profil/<token>", methods=["GET", "POST"])
def helper_page(token: str):  # noqa: ANN201
    """Their offers and matches; POST saves pause, availability and language."""
    helper = _helper(token)
    form = _settings_form(helper, submitted=request.method == "POST")
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            profile.apply_settings(
                db.session,
                helper,
                profile.Settings(
                    paused=bool(form.paused.data),
                    availability=form.availability.data or "",
                    language=form.language.data,
                    channels=form.channels.data or None,
                    email=form.email.data or "",
                ),
            )
        except profile.ProfileError as exc:
            errors = error_texts(exc)
            db.session.rollback()
        else:
            commit()
            return redirect(url_for(".helper_page", token=token, gespeichert=1))
    elif form.is_submitted():
        errors = form.problems()
    return _render(helper, token, form, errors), (422 if errors else 200)


def _render(helper: Helper, token: str, form: SettingsForm, errors: dict[str, str], **extra) -> str:  # noqa: ANN003
    return render_template(
        "dispatch/helper_page.html",
        helper=helper,
        token=token,
        form=form,
        errors=errors,
        offers=profile.current_offers(db.session, helper),
        matches=engagement.matches_of_helper(db.session, helper),
        saved=bool(request.args.get("gespeichert")),
        paused=helper.status == HelperStatus.PAUSED,
        OfferState=OfferState,
        local_time=local_time,
        **extra,
    )


@bp.post("/hilfe/profil/<token>/angebote/<int:offer_id>")
def helper_page_answer(token: str, offer_id: int):  # noqa: ANN201
    """Accept or decline one of their offers, as the accept link does."""
    helper = _helper(token)
    answer = OfferAnswerForm()
    if not answer.validate():
        abort(400)
    result = profile.answer_offer(db.session, helper, offer_id, answer.action.data == "accept")
    if result is None:
        abort(404)
    commit()
    notes = {
        Outcome.ACCEPTED: N_("Vielen Dank, Sie haben zugesagt! Die Kontaktdaten kommen per SMS."),
        Outcome.FILLED: N_("Vielen Dank, Sie haben zugesagt! Die Kontaktdaten kommen per SMS."),
        Outcome.TOO_LATE: N_("Danke! Für diese Anfrage haben sich schon genug Helfende gefunden."),
        Outcome.DECLINED: N_("Danke für Ihre Antwort. Wir fragen jemand anderen."),
        Outcome.WITHDRAWN: N_("Ihre Zusage ist zurückgezogen. Danke, dass Sie Bescheid geben."),
        Outcome.ALREADY: N_("Ihre Antwort liegt uns schon vor. Danke!"),
        Outcome.CLOSED: N_("Diese Anfrage ist abgeschlossen. Danke!"),
        Outcome.NOT_ACCEPTED: N_("Ihre Antwort liegt uns schon vor. Danke!"),
    }
    db.session.refresh(helper)
    return _render(
        helper,
        token,
        _settings_form(helper, submitted=False),
        {},
        note=gettext(notes[result.outcome]),
    )


@bp.get("/hilfe/profil/<token>/daten.json")
def helper_page_export(token: str):  # noqa: ANN201
    """Everything the product keeps about their number, as a JSON download."""
    helper = _helper(token)
    found = export_person(db.session, helper.phone)
    body = json.dumps(
        {"exported_at": utcnow().isoformat(), "data": found},
        ensure_ascii=False,
        indent=2,
        default=str,
    )
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="rufbereit-meine-daten.json"'},
    )


@bp.route("/hilfe/profil/<token>/loeschen", methods=["GET", "POST"])
def helper_page_erase(token: str):  # noqa: ANN201
    """Confirm, then erase as ``rufbereit privacy erase`` does for dispatch, then goodbye."""
    helper = _helper(token)
    form = EraseForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        language = helper.preferred_language
        privacy.erase_person(db.session, helper.phone)
        commit()
        return render_template("dispatch/helper_goodbye.html", language=language)
    if form.is_submitted():
        errors = form.problems()
    return render_template(
        "dispatch/helper_erase.html", helper=helper, token=token, form=form, errors=errors
    ), (422 if errors else 200)
