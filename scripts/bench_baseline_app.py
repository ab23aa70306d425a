"""The benchmark's baseline: a bare Flask app that answers every request with one constant
TwiML document.

``scripts/bench_voice.py`` serves it with exactly the same gunicorn settings as the hotline
app, so the ratio between the two shows what the hotline's own work costs on top of Flask,
gunicorn and the HTTP round trip.
"""

from __future__ import annotations

from flask import Flask, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Response><Say language="de-DE" voice="Polly.Vicki">Einen Moment bitte.</Say>'
    '<Dial answerOnBridge="true" callerId="+4930120000">'
    '<Number url="/twilio/voice/screen?leg=1">+4915100000001</Number></Dial></Response>'
)

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def constant(path: str) -> Response:
    return Response(TWIML, mimetype="text/xml")
