"""Reference point for ``scripts/bench_voice.py --reference``: what the voice entry's database
work costs on its own.

This is not product code and no line uses it. It does the entry webhook's work for the
benchmark flow (check the signature, record the call, find the operators on shift who are not
in a call, record one leg per operator, answer with a ``<Dial>`` of screened ``<Number>``s) in
one SQL statement on a plain psycopg connection, without the ORM, the flow engine or TwiML
builders. Measured next to the real app and the bare Flask baseline, it shows how much of the
gap is the database round trip itself and how much is the application's own overhead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import psycopg
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

ENTRY_SQL = """
WITH line AS (
    SELECT id, number, ring_timeout FROM lines WHERE number = %(to)s AND active
), call AS (
    INSERT INTO calls (call_sid, line_id, caller_hash, caller_number, started_at, menu_path,
                       twilio_status, ring_round)
    SELECT %(sid)s, id, %(hash)s, %(caller)s, %(now)s, '', 'in-progress', 1 FROM line
    ON CONFLICT (call_sid) DO NOTHING
    RETURNING id
), ops AS (
    SELECT o.id, o.phone_number FROM operators o
    WHERE o.id IN (
        SELECT operator_id FROM shifts
        WHERE line_id = (SELECT id FROM line)
          AND starts_at > %(earliest)s AND starts_at <= %(now)s AND ends_at > %(now)s)
      AND o.status = 'active'
      AND NOT EXISTS (
        SELECT 1 FROM calls c
        WHERE c.answered_by_id = o.id AND c.ended_at IS NULL AND c.answered_at > %(busy)s)
    ORDER BY o.last_call_at NULLS FIRST, o.id
    LIMIT 10
), legs AS (
    INSERT INTO call_legs (call_id, operator_id, round, state, created_at)
    SELECT call.id, ops.id, 1, 'ringing', %(now)s FROM call, ops
    RETURNING id, operator_id
)
SELECT line.number, line.ring_timeout, legs.id, ops.phone_number
FROM line, legs JOIN ops ON ops.id = legs.operator_id
ORDER BY legs.id
"""

app = Flask(__name__)
_validator = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN", ""))
_base = os.environ.get("PUBLIC_BASE_URL", "")
_salt = os.environ.get("CALLER_HASH_SALT", "").encode()
_connection: psycopg.Connection[Any] | None = None


def connection() -> psycopg.Connection[Any]:
    """One autocommit connection per gunicorn worker: the statement is its own transaction."""
    global _connection
    if _connection is None or _connection.closed:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _connection = psycopg.connect(url, autocommit=True)
    return _connection


@app.post("/twilio/voice")
def entry() -> Response:
    form = request.form.to_dict()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not _validator.validate(_base + request.path, form, signature):
        abort(403)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    caller = form.get("From", "")
    rows = (
        connection()
        .execute(
            ENTRY_SQL,
            {
                "to": form.get("To", ""),
                "sid": form.get("CallSid", ""),
                "hash": hmac.new(_salt, caller.encode(), hashlib.sha256).hexdigest(),
                "caller": caller or None,
                "now": now,
                "earliest": now - dt.timedelta(hours=24),
                "busy": now - dt.timedelta(hours=4),
            },
        )
        .fetchall()
    )
    if not rows:
        abort(404)
    number, timeout = rows[0][0], rows[0][1]
    numbers = "".join(
        f'<Number url="/twilio/voice/screen?leg={leg_id}">{escape(phone)}</Number>'
        for _, _, leg_id, phone in rows
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Say language="de-DE" voice="Polly.Vicki">Willkommen beim Heimwegtelefon.</Say>'
        '<Dial action="/twilio/voice/dial-result" answerOnBridge="true"'
        f' callerId={quoteattr(number)} timeout="{timeout}">{numbers}</Dial></Response>'
    )
    return Response(body, mimetype="text/xml")
