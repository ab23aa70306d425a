"""The one-click unsubscribe (RFC 8058) and the bounce webhook.

``/abmelden/<token>``: GET only shows a confirmation page (mail scanners and link previews
fetch links, and must not unsubscribe anyone); POST unsubscribes, whether it comes from the
mail client's one-click (body ``List-Unsubscribe=One-Click``, no cookies, no CSRF token:
RFC 8058 forbids needing either) or from the confirmation page. The signed token is the
authority: it names the address and cannot be made up.

``POST /mail/bounces`` takes a delivery status notification (the raw message, as a mail
server's pipe or a provider's webhook forwards it) with the shared secret
``MAIL_BOUNCE_SECRET`` in ``X-Rufbereit-Secret``; unset, it does not exist (404).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from hotline.core.extensions import db
from hotline.core.mail import addresses
from hotline.core.mail.bounces import apply_dsn
from hotline.core.outbox import commit

bp = Blueprint("mail", __name__)

SECRET_HEADER = "X-Rufbereit-Secret"


@bp.route("/abmelden/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):  # noqa: ANN201
    address = addresses.address_of_token(token)
    if address is None:
        abort(404)
    if request.method == "POST":
        addresses.opt_out(db.session, address, source="link")
        commit()
        # The same page for the mail client's one-click (which reads only the status) and
        # for someone who confirmed on the page.
        return render_template("mail/unsubscribe.html", done=True)
    done = addresses.blocked_reason(db.session, address) == "unsubscribed"
    return render_template("mail/unsubscribe.html", done=done)


@bp.post("/mail/bounces")
def bounces():  # noqa: ANN201
    secret = current_app.config.get("MAIL_BOUNCE_SECRET") or ""
    if not secret:
        abort(404)
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        abort(403)
    results = apply_dsn(db.session, request.get_data())
    commit()
    return jsonify({"bounces": [{"status": status, "kind": kind} for _, status, kind in results]})
