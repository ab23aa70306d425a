"""Floor for ``scripts/bench_voice.py --reference``: what any webhook that checks the signature
and makes one database round trip costs, before it does any work.

Not product code. It validates ``X-Twilio-Signature`` as the hotline does, sends ``SELECT 1``
on a plain autocommit psycopg connection and answers with the baseline's constant TwiML.
Nothing is written, so no commit is waited for.
"""

from __future__ import annotations

import os

from bench_baseline_app import TWIML
from bench_lean_entry import connection
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

app = Flask(__name__)
_validator = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN", ""))
_base = os.environ.get("PUBLIC_BASE_URL", "")


@app.post("/twilio/voice")
def entry() -> Response:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not _validator.validate(_base + request.path, request.form.to_dict(), signature):
        abort(403)
    connection().execute("SELECT 1").fetchone()
    return Response(TWIML, mimetype="text/xml")
