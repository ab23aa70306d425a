"""SMS delivery-status callbacks at /twilio/sms/status (served by the core for every text;
these are dispatch's consequences)."""

from __future__ import annotations

import pytest

from dispatch.models import HelperStatus, OfferState
from dispatch.waves import create_offers
from hotline.core.models import MessageState, OutboundMessage
from tests.dispatch_support import DAYTIME, configure, make_helper, make_ticket, offers, post_signed

SID = "SM" + "5" * 32


@pytest.fixture
def ctx(app):
    configure(app)
    with app.app_context():
        yield app


@pytest.fixture
def sent(ctx, session):  # noqa: ANN201
    """An offer text that the provider has accepted."""
    helper = make_helper(session)
    ticket = make_ticket(session)
    create_offers(session, ticket, [helper.id], 1, DAYTIME)
    message = (
        session.query(OutboundMessage).filter_by(key=f"offer:{offers(session, ticket)[0].id}").one()
    )
    message.state, message.sid, message.delivery_status = MessageState.SENT, SID, "queued"
    session.flush()
    return message


def callback(ctx, session, status: str, error: str | None = None):  # noqa: ANN001, ANN201
    form = {"MessageSid": SID, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
    if error:
        form["ErrorCode"] = error
    response = post_signed(ctx.test_client(), "/twilio/sms/status", form)
    session.expire_all()
    return response


def test_status_moves_forward(ctx, session, sent):
    assert callback(ctx, session, "sent").status_code == 204
    assert sent.delivery_status == "sent"
    callback(ctx, session, "delivered")
    assert sent.delivery_status == "delivered"


def test_status_never_moves_backwards_when_callbacks_arrive_out_of_order(ctx, session, sent):
    callback(ctx, session, "delivered")
    callback(ctx, session, "sending")
    callback(ctx, session, "sent")
    assert sent.delivery_status == "delivered"


def test_duplicate_callbacks_are_harmless(ctx, session, sent):
    for _ in range(3):
        assert callback(ctx, session, "undelivered", "30003").status_code == 204
    assert sent.delivery_status == "undelivered"
    assert sent.error_code == 30003


def test_undelivered_offer_marks_the_offer_unreachable(ctx, session, sent):
    callback(ctx, session, "undelivered", "30003")
    from dispatch.models import Offer

    assert session.get(Offer, sent.refs["offer_id"]).state == OfferState.UNREACHABLE


def test_failed_with_21610_opts_the_helper_out(ctx, session, sent):
    callback(ctx, session, "failed", "21610")
    from dispatch.models import Helper
    from hotline.core.optouts import is_opted_out

    helper = session.get(Helper, sent.refs["helper_id"])
    assert helper.status == HelperStatus.OPTED_OUT
    assert is_opted_out(session, helper.phone)  # no text of any kind any more


def test_unknown_message_sid_is_accepted_and_ignored(ctx, session, sent):
    form = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}
    assert post_signed(ctx.test_client(), "/twilio/sms/status", form).status_code == 204


def test_unsigned_status_callback_is_refused(ctx, session, sent):
    response = ctx.test_client().post(
        "/twilio/sms/status", data={"MessageSid": SID, "MessageStatus": "delivered"}
    )
    assert response.status_code == 403
    session.expire_all()
    assert sent.delivery_status == "queued"
