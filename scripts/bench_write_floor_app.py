"""The write floor for ``scripts/bench_calls.py --entry``: what any webhook that checks the
signature and durably records the call costs, before it does any work of its own.

Not product code. Per request it validates ``X-Twilio-Signature`` as the hotline does, writes
one row the size of a call record (the columns of ``calls``, filled as the voice entry fills
them) with an autocommit ``INSERT … ON CONFLICT (call_sid) DO NOTHING`` into its own table,
and answers with the baseline's constant TwiML. The commit is waited for (the server's
``synchronous_commit``, as for the hotline), so the row is as durable as a call record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os

from bench_baseline_app import TWIML
from bench_lean_entry import connection
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

TABLE = "bench_write_floor"

#: The columns and types of ``calls``, with its primary key and unique CallSid.
CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id serial PRIMARY KEY,
    call_sid varchar(64) NOT NULL UNIQUE,
    line_id integer NOT NULL,
    caller_hash varchar(64) NOT NULL,
    caller_number varchar(20),
    started_at timestamp NOT NULL,
    answered_at timestamp,
    ended_at timestamp,
    language varchar(8),
    menu_path text NOT NULL,
    answered_by_id integer,
    wait_seconds integer,
    duration_seconds integer,
    outcome varchar(20),
    twilio_status varchar(20),
    ring_round integer NOT NULL,
    queued_at timestamp,
    queue_left_at timestamp,
    fallback_at timestamp,
    recording_url varchar(500),
    recording_seconds integer
)
"""

INSERT = f"""
INSERT INTO {TABLE} (call_sid, line_id, caller_hash, caller_number, started_at, menu_path,
                     twilio_status, ring_round)
VALUES (%(sid)s, 1, %(hash)s, %(caller)s, %(now)s, '', 'in-progress', 1)
ON CONFLICT (call_sid) DO NOTHING
"""

app = Flask(__name__)
_validator = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN", ""))
_base = os.environ.get("PUBLIC_BASE_URL", "")
_salt = os.environ.get("CALLER_HASH_SALT", "").encode()


@app.post("/twilio/voice")
def entry() -> Response:
    form = request.form.to_dict()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not _validator.validate(_base + request.path, form, signature):
        abort(403)
    caller = form.get("From", "")
    connection().execute(
        INSERT,
        {
            "sid": form.get("CallSid", ""),
            "hash": hmac.new(_salt, caller.encode(), hashlib.sha256).hexdigest(),
            "caller": caller or None,
            "now": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        },
    )
    return Response(TWIML, mimetype="text/xml")
