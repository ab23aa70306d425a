"""Open shifts and swaps: the first claim wins, also when claims arrive at the same moment."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from hotline.core.extensions import db
from hotline.core.models import Role
from hotline.core.oncall.models import Shift
from hotline.rosters.audit import SYSTEM, Actor, history
from hotline.rosters.models import OpenShift, SwapStatus
from hotline.rosters.open_shifts import (
    ClaimResult,
    claim_open_shift,
    offer_swap,
    publish_open_shift,
    take_swap,
)
from hotline.rosters.shift_edits import add_shift
from tests.conftest import make_line, make_operator
from tests.roster_support import committed_app_fixture, login, make_user, post  # noqa: F401

START, END = dt.datetime(2030, 1, 7, 20), dt.datetime(2030, 1, 7, 23)


def test_concurrent_claims_of_one_open_shift_exactly_one_wins(committed_app):
    contenders = 6
    with committed_app.app_context():
        setup = db.new_session()
        line = make_line(setup)
        operator_ids = [make_operator(setup).id for _ in range(contenders)]
        slot_id = publish_open_shift(setup, line.id, START, END).id
        setup.commit()
        setup.close()

    barrier = threading.Barrier(contenders)
    results: dict[int, ClaimResult] = {}

    def claim(operator_id: int) -> None:
        with committed_app.app_context():
            session = db.new_session()
            try:
                barrier.wait(timeout=10)
                results[operator_id] = claim_open_shift(
                    session, slot_id, operator_id, Actor(f"operator {operator_id}")
                )
                session.commit()
            finally:
                session.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in operator_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    winners = [op for op, r in results.items() if r == ClaimResult.CLAIMED]
    assert len(results) == contenders
    assert len(winners) == 1
    assert sorted(r.value for r in results.values()).count("taken") == contenders - 1
    with committed_app.app_context():
        check = db.new_session()
        shifts = list(check.scalars(select(Shift)))
        assert [s.operator_id for s in shifts] == winners
        assert check.get(OpenShift, slot_id).claimed_by_id == winners[0]
        check.close()


def test_a_claimed_open_shift_becomes_the_operators_shift(session):
    line, anna = make_line(session), make_operator(session)
    slot = publish_open_shift(session, line.id, START, END, "Vertretung gesucht")
    assert claim_open_shift(session, slot.id, anna.id, SYSTEM) == ClaimResult.CLAIMED
    shift = session.scalar(select(Shift))
    assert (shift.operator_id, shift.local_start, shift.local_end) == (anna.id, START, END)
    assert slot.shift_id == shift.id
    assert [e.action for e in history(session, shift.id)] == ["claim"]


def test_second_claim_is_told_it_is_taken(session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    slot = publish_open_shift(session, line.id, START, END)
    claim_open_shift(session, slot.id, anna.id, SYSTEM)
    assert claim_open_shift(session, slot.id, ben.id, SYSTEM) == ClaimResult.TAKEN
    assert session.scalar(select(func.count(Shift.id))) == 1


def test_swap_hands_the_shift_to_the_operator_who_takes_it(session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    shift = add_shift(session, SYSTEM, anna.id, line.id, START, END)
    offer = offer_swap(session, shift, anna.id)
    assert take_swap(session, offer.id, ben.id, SYSTEM) == ClaimResult.CLAIMED
    assert shift.operator_id == ben.id
    assert offer.status == SwapStatus.TAKEN and offer.taken_by_id == ben.id
    swap_entry = history(session, shift.id)[0]
    assert (
        swap_entry.action,
        swap_entry.before["operator_id"],
        swap_entry.after["operator_id"],
    ) == (
        "swap",
        anna.id,
        ben.id,
    )


def test_planner_sees_the_swap_log(app, session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    make_user(session, Role.OPERATOR, operator=anna, username="anna")
    make_user(session, Role.OPERATOR, operator=ben, username="ben")
    make_user(session, Role.PLANNER, username="paula")
    shift = add_shift(session, SYSTEM, anna.id, line.id, START, END)

    anna_client = app.test_client()
    login(anna_client, "anna")
    assert post(anna_client, f"/dienstplan/schicht/{shift.id}/anbieten").status_code == 302
    offer_id = shift_offer_id(session, shift.id)

    ben_client = app.test_client()
    login(ben_client, "ben")
    assert post(ben_client, f"/dienstplan/tausch/{offer_id}/nehmen").status_code == 302
    session.refresh(shift)
    assert shift.operator_id == ben.id

    planner = app.test_client()
    login(planner, "paula")
    page = planner.get("/dienstplan/tausch").get_data(as_text=True)
    assert "Tauschprotokoll" in page
    assert anna.name in page and ben.name in page and "übernommen" in page


def test_operator_cannot_offer_someone_elses_shift(app, session):
    line, anna, ben = make_line(session), make_operator(session), make_operator(session)
    make_user(session, Role.OPERATOR, operator=ben, username="ben")
    shift = add_shift(session, SYSTEM, anna.id, line.id, START, END)
    client = app.test_client()
    login(client, "ben")
    assert post(client, f"/dienstplan/schicht/{shift.id}/anbieten").status_code == 403


def shift_offer_id(session, shift_id: int) -> int:
    from hotline.rosters.models import SwapOffer

    return session.scalar(select(SwapOffer.id).where(SwapOffer.shift_id == shift_id))
