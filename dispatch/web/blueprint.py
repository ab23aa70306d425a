"""The blueprint of every dispatch page (``dispatch_web``) and what all its pages share: a
bounded request body, the signed-in account and CSRF check before each request, the template
helpers, and headers that keep accept-link tokens out of caches and Referer headers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import flask_babel
from flask import Blueprint, g, render_template, request, session
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from dispatch import access, texts
from dispatch.forms import MAX_CSV_BYTES, MAX_IMPORT_REQUEST_BYTES, MAX_PAGE_REQUEST_BYTES
from dispatch.matching import dispatch_zone
from hotline.core.budgets import BudgetSpent, BudgetUnavailable
from hotline.core.i18n import LANGUAGES, current_language, gettext
from hotline.core.models import Role

#: The templates stay where they were: ``dispatch/templates/dispatch/``.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

bp = Blueprint("dispatch_web", __name__, template_folder=str(TEMPLATES))

#: Pages that take an upload, with the largest body each accepts.
UPLOADS = {"dispatch_web.import_helpers": MAX_IMPORT_REQUEST_BYTES}


@bp.before_request
def _bound_load_user_and_check_csrf() -> None:
    """The body is bounded before anything reads it (the CSRF check reads the form): a huge
    field or file is refused with a 413 instead of being parsed."""
    limit = UPLOADS.get(request.endpoint or "", MAX_PAGE_REQUEST_BYTES)
    request.max_content_length = limit
    request.max_form_memory_size = limit
    access.load_user()
    access.check_csrf()


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge):  # noqa: ANN202
    if request.endpoint in UPLOADS:
        megabytes = MAX_CSV_BYTES // 2**20
        message = gettext(
            "Die Datei ist zu groß. Eine CSV-Datei darf höchstens {size} MB haben.",
            size=megabytes,
        )
    else:
        message = gettext("Die Eingaben sind zu lang. Bitte kürzen Sie sie und senden Sie erneut.")
    return render_template("dispatch/message.html", title=gettext("Zu groß"), message=message), 413


@bp.errorhandler(BudgetSpent)
def _budget_spent(exc: BudgetSpent):  # noqa: ANN202
    """Nothing was stored or sent; the page says when to try again, not which budget."""
    minutes = max(1, -(-exc.retry_after // 60))
    message = (
        "Gerade kommen von hier oder insgesamt zu viele Anfragen. Zum Schutz vor Missbrauch "
        f"nehmen wir im Moment keine weiteren an. Bitte versuchen Sie es in etwa {minutes} "
        "Minuten erneut."
    )
    page = render_template("dispatch/budget.html", title="Zu viele Anfragen", message=message)
    return page, 429, {"Retry-After": str(exc.retry_after)}


@bp.errorhandler(BudgetUnavailable)
def _budget_unavailable(exc: BudgetUnavailable):  # noqa: ANN202
    message = (
        "Das geht im Moment leider nicht. Es wurde nichts gespeichert und nichts verschickt. "
        "Bitte versuchen Sie es in ein paar Minuten erneut."
    )
    page = render_template("dispatch/budget.html", title="Bitte später erneut", message=message)
    return page, 503, {"Retry-After": "120"}


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError):  # noqa: ANN202
    return render_template(
        "dispatch/message.html", title=gettext("Abgelaufen"), message=exc.description
    ), 400


def use_language(language: str) -> None:
    """Render the rest of this request in ``language``, not the browser's: the pages a
    helper opens from a text (the accept page, their own page, the taken call-out) speak the
    language their texts come in (:func:`dispatch.texts.helper_language`), right to left for
    Arabic. A language the reader picked themselves (``?lang=``, the language switch) wins."""
    if request.args.get("lang") in LANGUAGES or session.get("lang") in LANGUAGES:
        return
    g.lang = language
    flask_babel.refresh()  # drop the locale Flask-Babel may have cached for this request


@bp.context_processor
def _helpers() -> dict:
    return {
        "csrf_token": generate_csrf,
        "activity_name": lambda code: texts.activity_name(code, current_language()),
        "label": field_label,
        "localize": localize_choices,
        "user": access.current_user(),
        "Role": Role,
    }


@bp.after_request
def _private(response):  # noqa: ANN001, ANN202
    """Accept links carry a token in the URL: keep it out of caches and Referer headers."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def local_time(value: dt.datetime) -> str:
    return value.astimezone(ZoneInfo(dispatch_zone())).strftime("%d.%m.%Y %H:%M")


def field_label(field: Field) -> Markup:
    """A form field's ``<label>`` in the page's language (the forms name their fields with
    the German msgids of the catalogue)."""
    return field.label(text=gettext(field.label.text))


def localize_choices(field: Field) -> str:
    """Show a select field's choices in the page's language (call before rendering it)."""
    field.choices = [
        dataclasses.replace(choice, label=gettext(choice.label))
        if isinstance(choice, SelectChoice)
        else (choice[0], gettext(choice[1]), *choice[2:])
        for choice in field.choices
    ]
    return ""
