"""Coordinators listen to voicemails through the product, signed in; nobody else can."""

from __future__ import annotations

from hotline.core.models import Role
from hotline.voice.models import Call
from tests.conftest import make_line, make_operator
from tests.roster_support import login, make_user

URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "1" * 32


def _voicemail(session, phone):  # noqa: ANN001, ANN202
    line = make_line(session)
    call = Call(call_sid="CAvm", line_id=line.id, caller_hash="h", recording_url=URL)
    session.add(call)
    session.flush()
    phone.recordings[URL] = b"ID3-audio"
    return call


def test_a_coordinator_listens_to_a_voicemail_through_the_product(app, session, phone):
    call = _voicemail(session, phone)
    make_user(session, Role.COORDINATOR, username="koord")
    client = app.test_client()
    login(client, "koord")
    response = client.get(f"/anrufe/{call.id}/aufnahme")
    assert response.status_code == 200 and response.mimetype == "audio/mpeg"
    assert response.data == b"ID3-audio" and response.headers["Cache-Control"] == "no-store"


def test_signed_out_or_lesser_roles_get_no_recording(app, session, phone):
    call = _voicemail(session, phone)
    assert app.test_client().get(f"/anrufe/{call.id}/aufnahme").status_code == 302
    make_user(session, Role.OPERATOR, operator=make_operator(session), username="op")
    client = app.test_client()
    login(client, "op")
    assert client.get(f"/anrufe/{call.id}/aufnahme").status_code == 403


def test_a_recording_past_its_retention_is_gone(app, session, phone):
    call = _voicemail(session, phone)
    call.recording_url = None
    session.flush()
    make_user(session, Role.COORDINATOR, username="koord")
    client = app.test_client()
    login(client, "koord")
    assert client.get(f"/anrufe/{call.id}/aufnahme").status_code == 410
