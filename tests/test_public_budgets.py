"""Budgets on the public surfaces (sign-up codes, organisation registration), the daily caps
on texts, and pages that do not tell strangers which numbers or usernames are known.

Real Redis and PostgreSQL; every budget is counted in Redis, shared by all processes."""

from __future__ import annotations

import datetime as dt
import logging
import re
import socket
import subprocess
import time

import pytest
from sqlalchemy import func, select

from dispatch.models import Helper, Organisation, OrganisationMember, Signup
from hotline import create_app
from hotline.core import budgets
from hotline.core.extensions import db
from hotline.core.models import Role, User
from hotline.core.worker import set_app
from tests.conftest import test_config
from tests.dispatch_support import configure, make_helper, messages
from tests.roster_support import make_user

SIGNUP = {
    "name": "Mia Muster",
    "postal_code": "33602",
    "activities": ["shopping"],
    "languages": "de",
    "consent": "1",
}
PASSWORD = "tafel-passwort-1234"


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    configure(app)
    return app.test_client()


def csrf(client, path: str) -> str:  # noqa: ANN001
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def mobile(i: int) -> str:
    return f"0151 2345{i:04d}"


def sign_up(client, number: str, **environ: str):  # noqa: ANN001, ANN201
    token = csrf(client, "/hilfe/anmelden")
    return client.post(
        "/hilfe/anmelden",
        data={**SIGNUP, "phone": number, "csrf_token": token},
        environ_base=environ,
    )


def register(client, username: str, name: str = "Tafel Mitte", **environ: str):  # noqa: ANN001, ANN201
    token = csrf(client, "/organisationen/registrieren")
    return client.post(
        "/organisationen/registrieren",
        data={
            "csrf_token": token,
            "name": name,
            "contact_phone": "0151 99887766",
            "member_name": "Tina Tafel",
            "username": username,
            "password": PASSWORD,
        },
        environ_base=environ,
    )


def visible(response) -> str:  # noqa: ANN001
    """The page as a reader sees it (no markup, no per-request CSRF token)."""
    text = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def codes_queued(session) -> int:  # noqa: ANN001
    return len(messages(session, "signup:"))


def refused_with_budget_page(response) -> bool:  # noqa: ANN001
    return (
        response.status_code == 429
        and "Zu viele Anfragen" in response.get_data(as_text=True)
        and int(response.headers["Retry-After"]) > 0
        and 'class="brand"' in response.get_data(as_text=True)  # the product's layout
    )


# -- sign-up codes --------------------------------------------------------------------------


def test_sixty_sign_ups_from_one_address_send_no_more_codes_than_its_budget(client, session):
    responses = [sign_up(client, mobile(i)) for i in range(60)]
    assert [r.status_code for r in responses[:10]] == [302] * 10
    assert all(refused_with_budget_page(r) for r in responses[10:])
    assert codes_queued(session) == 10
    assert session.scalar(select(func.count(Signup.id))) == 10  # refused ones store nothing


def test_a_forged_x_forwarded_for_does_not_escape_the_address_budget(client, session):
    client.application.config["SIGNUP_CODES_PER_ADDRESS_HOUR"] = 3
    assert client.application.config["PROXY_FIX_HOPS"] == 0
    statuses = []
    for i in range(8):
        token = csrf(client, "/hilfe/anmelden")
        statuses.append(
            client.post(
                "/hilfe/anmelden",
                data={**SIGNUP, "phone": mobile(i), "csrf_token": token},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            ).status_code
        )
    assert statuses == [302] * 3 + [429] * 5
    assert codes_queued(session) == 3


def test_the_overall_sign_up_budget_holds_across_addresses(client, session):
    client.application.config["SIGNUP_CODES_PER_HOUR"] = 4
    responses = [sign_up(client, mobile(i), REMOTE_ADDR=f"198.51.100.{i + 1}") for i in range(9)]
    assert [r.status_code for r in responses] == [302] * 4 + [429] * 5
    assert codes_queued(session) == 4


def test_one_number_gets_no_more_codes_than_its_budget_from_any_number_of_addresses(
    client, session
):
    client.application.config["SIGNUP_CODES_PER_NUMBER_HOUR"] = 2
    statuses = [
        sign_up(client, mobile(7), REMOTE_ADDR=f"198.51.100.{i + 1}").status_code for i in range(5)
    ]
    assert statuses == [302, 302, 429, 429, 429]
    assert codes_queued(session) == 2


def test_a_refused_sign_up_does_not_use_up_the_visitors_own_budget(client, session):
    config = client.application.config
    config["SIGNUP_CODES_PER_HOUR"] = 1
    config["SIGNUP_CODES_PER_ADDRESS_HOUR"] = 2
    assert sign_up(client, mobile(1), REMOTE_ADDR="198.51.100.1").status_code == 302
    for i in range(3):
        assert sign_up(client, mobile(2 + i), REMOTE_ADDR="198.51.100.2").status_code == 429
    config["SIGNUP_CODES_PER_HOUR"] = 0  # overall budget off: the address still has room
    assert sign_up(client, mobile(9), REMOTE_ADDR="198.51.100.2").status_code == 302


def test_an_ipv6_client_counts_per_64_block(app):
    for address in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"):
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
            assert budgets.client_address() == "2001:db8:1:2::/64"
    with app.test_request_context(environ_base={"REMOTE_ADDR": "::ffff:192.0.2.7"}):
        assert budgets.client_address() == "192.0.2.7"


def test_sign_up_with_a_helpers_number_answers_like_a_new_number_and_texts_the_owner_once(
    client, session
):
    owner = make_helper(session, phone="+4915123450001")
    known = sign_up(client, mobile(1))
    new = sign_up(client, mobile(2))
    assert known.status_code == new.status_code == 302
    assert re.fullmatch(r"/hilfe/anmelden/\d+", known.location)
    assert re.fullmatch(r"/hilfe/anmelden/\d+", new.location)
    assert visible(client.get(known.location)) == visible(client.get(new.location))
    to_owner = [m for m in messages(session, "signup:") if m.to == owner.phone]
    assert len(to_owner) == 1
    assert "schon als Helferin oder Helfer angemeldet" in to_owner[0].body
    assert not re.search(r"\d{6}", to_owner[0].body)  # no code to confirm anything with
    assert session.scalar(select(func.count(Helper.id))) == 1


def test_a_known_number_can_not_be_confirmed_with_any_code(client, session):
    make_helper(session, phone="+4915123450001", name="Echte Helferin")
    response = sign_up(client, mobile(1))
    token = csrf(client, response.location)
    answer = client.post(response.location, data={"csrf_token": token, "code": "123456"})
    assert answer.status_code == 422 and "Der Code stimmt nicht." in answer.get_data(as_text=True)
    assert session.scalars(select(Helper.name)).all() == ["Echte Helferin"]


def test_texts_to_a_known_number_are_within_the_same_budget(client, session):
    client.application.config["SIGNUP_CODES_PER_NUMBER_HOUR"] = 1
    make_helper(session, phone="+4915123450001")
    assert sign_up(client, mobile(1)).status_code == 302
    assert refused_with_budget_page(sign_up(client, mobile(1), REMOTE_ADDR="198.51.100.9"))
    assert codes_queued(session) == 1


# -- organisation registration ----------------------------------------------------------------


def test_registrations_from_one_address_are_throttled(client, session):
    statuses = [register(client, f"tafel{i}").status_code for i in range(12)]
    assert statuses == [200] * 5 + [429] * 7
    assert session.scalar(select(func.count(Organisation.id))) == 5
    assert session.scalar(select(func.count(User.id))) == 5


def test_the_overall_registration_budget_holds_across_addresses(client, session):
    client.application.config["REGISTRATIONS_PER_HOUR"] = 2
    responses = [register(client, f"tafel{i}", REMOTE_ADDR=f"198.51.100.{i}") for i in range(1, 5)]
    assert responses[0].status_code == responses[1].status_code == 200
    assert all(refused_with_budget_page(r) for r in responses[2:])
    assert session.scalar(select(func.count(Organisation.id))) == 2


def test_registration_answers_alike_for_a_taken_and_a_new_username(client, session):
    paula = make_user(session, Role.PLANNER, username="paula")
    hash_before = paula.password_hash
    taken = register(client, "paula")
    new = register(client, "tafel")
    assert taken.status_code == new.status_code == 200
    assert visible(taken) == visible(new)
    assert "meldet sich bei Ihnen" in visible(new)
    assert client.get("/dispatch/aufrufe/neu").status_code == 302  # nobody was signed in
    session.expire_all()
    assert session.scalars(select(User.username).order_by(User.username)).all() == [
        "paula",
        "tafel",
    ]
    assert (paula.role, paula.password_hash) == (Role.PLANNER, hash_before)
    assert session.get(OrganisationMember, paula.id) is None
    assert session.scalar(select(func.count(Organisation.id))) == 2  # both wait for approval


# -- Redis unreachable: the public surfaces fail closed --------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_redis():  # noqa: ANN201
    """A Redis server of the test's own, so it can be stopped."""
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
    yield server, f"redis://127.0.0.1:{port}/0"
    if server.poll() is None:
        server.terminate()
    server.wait(timeout=10)


def test_without_redis_sign_up_and_registration_refuse_and_nothing_is_sent(
    connection, database_url, own_redis
):
    server, url = own_redis
    app = create_app(test_config(database_url, url, REDIS_SOCKET_TIMEOUT=0.5))
    configure(app)
    db.bind_to(connection)
    set_app(app)
    try:
        client = app.test_client()
        assert sign_up(client, mobile(1)).status_code == 302
        server.terminate()
        server.wait(timeout=10)
        refused = sign_up(client, mobile(2))
        assert refused.status_code == 503
        assert "Bitte versuchen Sie es in ein paar Minuten erneut" in refused.get_data(as_text=True)
        assert register(client, "tafel").status_code == 503
        with app.app_context():
            session = db.session
            assert [m.to for m in messages(session, "signup:")] == ["+4915123450001"]
            assert session.scalar(select(func.count(Signup.id))) == 1
            assert session.scalar(select(func.count(Organisation.id))) == 0
    finally:
        set_app(None)


# -- daily caps on texts ---------------------------------------------------------------------

NOON = dt.datetime(2026, 3, 11, 11, 0, tzinfo=dt.UTC)


def test_a_kind_reaches_its_daily_cap_after_that_many_texts(app):
    app.config["DAILY_TEXT_CAPS"] = "signup_code=3,offer=100"
    with app.app_context():
        for _ in range(3):
            assert not budgets.daily_cap_reached("signup_code", NOON)
            budgets.note_sent("signup_code", NOON)
        assert budgets.daily_cap_reached("signup_code", NOON)
        assert not budgets.daily_cap_reached("offer", NOON)


def test_a_kind_without_a_cap_is_never_held(app):
    app.config["DAILY_TEXT_CAPS"] = "signup_code=1"
    with app.app_context():
        for _ in range(5):
            budgets.note_sent("reminder", NOON)
        assert not budgets.daily_cap_reached("reminder", NOON)


def test_the_cap_starts_again_the_next_local_day(app):
    app.config["DAILY_TEXT_CAPS"] = "offer=1"
    late = dt.datetime(2026, 3, 11, 22, 30, tzinfo=dt.UTC)  # 23:30 in Berlin
    after_midnight = dt.datetime(2026, 3, 11, 23, 30, tzinfo=dt.UTC)  # 00:30 the next day
    with app.app_context():
        budgets.note_sent("offer", late)
        assert budgets.daily_cap_reached("offer", late)
        assert not budgets.daily_cap_reached("offer", after_midnight)


def test_reaching_a_cap_alerts_once_per_kind_and_day(app, caplog):
    app.config["DAILY_TEXT_CAPS"] = "offer=2,signup_code=1"
    alerts: list[tuple[str, int]] = []
    budgets.on_daily_cap(lambda kind, cap: alerts.append((kind, cap)), app)
    with app.app_context(), caplog.at_level(logging.ERROR, logger="hotline.core.budgets"):
        for _ in range(4):
            budgets.note_sent("offer", NOON)
            budgets.daily_cap_reached("offer", NOON)
        budgets.note_sent("signup_code", NOON)
        budgets.note_sent("offer", NOON + dt.timedelta(days=1))
        budgets.note_sent("offer", NOON + dt.timedelta(days=1))
    assert alerts == [("offer", 2), ("signup_code", 1), ("offer", 2)]
    assert sum("daily cap reached" in r.getMessage() for r in caplog.records) == 3


def test_a_failing_notifier_does_not_stop_the_count(app):
    app.config["DAILY_TEXT_CAPS"] = "offer=1"

    def broken(kind: str, cap: int) -> None:
        raise RuntimeError("mail server down")

    budgets.on_daily_cap(broken, app)
    with app.app_context():
        assert budgets.note_sent("offer", NOON) == 1
        assert budgets.daily_cap_reached("offer", NOON)


def test_daily_caps_are_read_from_the_setting():
    assert budgets.parse_daily_caps("signup_code=500, offer=5000") == {
        "signup_code": 500,
        "offer": 5000,
    }
    with pytest.raises(ValueError, match="DAILY_TEXT_CAPS"):
        budgets.parse_daily_caps("offer:5000")
