"""Two web processes and two workers on one PostgreSQL and one Redis behave as one deployment:
whatever one process starts, any other can finish.

A browser's session cookie and its forms' CSRF tokens are good on either web process, and a
sign-out through one ends the session on both; a sign-up code requested through one is
confirmed through the other; a repeat caller has one caller hash whichever process answers;
a roster change or an accepted call reaches the entry webhook of every web process with the
next call; a text queued through a web process is sent once, by one of the
workers; and the two gunicorns on one host do not share a control socket.

The processes are real and started once for this module, as the Procfile starts them:
``gunicorn -c gunicorn.conf.py 'hotline:create_app()'`` (one sync worker each) and
``rufbereit worker``, all with one environment, on the suite's PostgreSQL (the rows they
commit are deleted afterwards), a private ``redis-server`` and the local Twilio-compatible
server (every text the workers send is counted there). Requests go over HTTP; webhooks are
signed as Twilio signs them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from dispatch.models import Helper, HelperStatus
from hotline.core.models import MessageState, OutboundMessage, Role
from hotline.core.oncall.models import Line, Operator
from hotline.voice.models import Call
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE, make_line, make_operator, make_shift
from tests.faults.processes import (
    RedisServer,
    WebProcess,
    WorkerProcess,
    start_web,
    start_worker,
    worker_env,
)
from tests.roster_support import PASSWORD, make_user, wipe
from tests.test_entry import DIRECT_FLOW
from tests.twilio_server import TwilioServer

#: Processes boot in a few seconds; a loaded machine gets far longer.
BOOT_SECONDS = 60.0
#: The longest a test waits for a worker to send a text.
TEXT_SECONDS = 20.0
ACCOUNT_SID = "AC" + "0" * 32
SIGNUP = {
    "name": "Mia Muster",
    "postal_code": "33602",
    "radius_km": "8",
    "activities": ["shopping"],
    "languages": "de",
    "preferred_language": "de",
    "availability": "mo-fr 17:00-20:00",
    "max_per_week": "2",
    "consent": "1",
}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

_call_sids = (f"CA{n:032d}" for n in itertools.count(1))
_lines = (f"+49307910{n:03d}" for n in itertools.count(1))
_mobiles = (f"+4915129{n:06d}" for n in itertools.count(1))

T = TypeVar("T")


@dataclass
class Deployment:
    webs: list[WebProcess]
    workers: list[WorkerProcess]
    twilio: TwilioServer
    engine: Engine
    control_dir: Path


@pytest.fixture(scope="module")
def deployment(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """The four processes, started once for the module and stopped at its end (their logs are
    printed, for a failing test); every row they committed is deleted again."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes share one database server (CI runs PostgreSQL)")
    tmp = tmp_path_factory.mktemp("deployment")
    flows_dir, control_dir = tmp / "flows", tmp / "run"
    flows_dir.mkdir()
    control_dir.mkdir()
    from ivr_flows import FLOWS_DIR

    for path in FLOWS_DIR.glob("*.yaml"):
        shutil.copy(path, flows_dir / path.name)
    (flows_dir / "direct.yaml").write_text(DIRECT_FLOW, encoding="utf-8")
    wipe(engine)
    started: list[WorkerProcess] = []
    try:
        with ExitStack() as stack:
            redis_server = stack.enter_context(RedisServer())
            twilio = TwilioServer().start()
            stack.callback(twilio.stop)
            env = worker_env(
                database_url,
                redis_server.url(),
                TELEPHONY_BACKEND="twilio",
                TWILIO_API_BASE_URL=twilio.base_url,
                TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                PUBLIC_BASE_URL=PUBLIC_BASE,
                WEB_CONCURRENCY=1,
                FLOWS_DIR=str(flows_dir),
                FALLBACK_SNAPSHOT_PATH=str(tmp / "fallback-numbers.json"),
                INBOUND_SPOOL_DIR=str(tmp / "inbound-spool"),
                DISPATCH_SMS_PER_SECOND=50,
                # gunicorn's default control socket directory: kept inside the test's folder.
                XDG_RUNTIME_DIR=str(control_dir),
            )
            for n in (1, 2):
                started.append(start_web(env, log_path=tmp / f"web-{n}.log"))
                stack.callback(started[-1].stop)
            for n in (1, 2):
                started.append(start_worker(env, log_path=tmp / f"worker-{n}.log"))
                stack.callback(started[-1].stop)
            webs = [p for p in started if isinstance(p, WebProcess)]
            workers = [p for p in started if not isinstance(p, WebProcess)]
            for web in webs:
                web.wait_ready(BOOT_SECONDS)
            for worker in workers:
                wait_for(lambda w=worker: "Listening on" in w.output(), "a worker is up")
            yield Deployment(webs, workers, twilio, engine, control_dir)
    finally:
        for process in started:
            kind = "web" if isinstance(process, WebProcess) else "worker"
            print(f"--- {kind} {process.pid} ---\n{process.output()[-3000:]}")
        wipe(engine)


def wait_for(condition: Callable[[], T], what: str, timeout: float = BOOT_SECONDS) -> T:
    """Poll ``condition`` until it returns something true or the deadline passes."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not (result := condition()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        pause.wait(0.05)
    return result


# -- the browser and Twilio, over HTTP -------------------------------------------------------


def csrf_token(browser: requests.Session, web: WebProcess, path: str) -> str:
    page = browser.get(web.url + path, timeout=10)
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF token on {path}: {page.status_code}"
    return match.group(1)


def sign_in(browser: requests.Session, web: WebProcess, username: str) -> None:
    form = {"username": username, "password": PASSWORD}
    form["csrf_token"] = csrf_token(browser, web, "/anmelden")
    response = browser.post(f"{web.url}/anmelden", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text


def signed_in(browser: requests.Session, web: WebProcess) -> bool:
    """Whether ``web`` shows the roster (rather than sending the browser to sign in)."""
    response = browser.get(f"{web.url}/dienstplan/", allow_redirects=False, timeout=10)
    assert response.status_code in {200, 302}, response.status_code
    return not response.headers.get("Location", "").startswith("/anmelden")


def webhook(web: WebProcess, path: str, **params: str) -> ET.Element:
    """POST a webhook to ``web`` as Twilio does: form-encoded, signed for the public URL."""
    form = {"AccountSid": ACCOUNT_SID, **params}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE + path, form)
    response = requests.post(
        web.url + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=10
    )
    assert response.status_code == 200, (path, response.status_code, response.text)
    return ET.fromstring(response.content)


def new_call(web: WebProcess, line: str, caller: str | None = None) -> ET.Element:
    """A call from ``caller`` (default: a new caller each time, so polling never meets the
    per-caller flood limit)."""
    sid = next(_call_sids)
    caller = caller or f"+49176{int(sid[2:]) % 10**8:08d}"
    return webhook(web, "/twilio/voice", CallSid=sid, From=caller, To=line)


def rung(web: WebProcess, line: str) -> set[str]:
    """Whom a new call to ``line`` answered by ``web`` rings."""
    return {(n.text or "").strip() for n in new_call(web, line).iter("Number")}


def every_web_rings(deployment: Deployment, line: str, expected: set[str]) -> None:
    """The next new call to ``line`` rings ``expected`` on every web process: the entry
    webhook reads who can be rung when the call comes, so a committed change counts at once."""
    for web in deployment.webs:
        numbers = rung(web, line)
        assert numbers == expected, f"web {web.pid} rings {numbers}, not {expected}"


# -- committed rows ------------------------------------------------------------------------


@dataclass
class Hotline:
    number: str
    line_id: int
    on_shift: tuple[int, str]  # (operator id, phone)
    off_shift: tuple[int, str]
    planner: str


@pytest.fixture
def hotline(deployment: Deployment) -> Hotline:
    """A line that rings at once, one operator on shift, one not, and a planner account."""
    number = next(_lines)
    with Session(deployment.engine) as s:
        line = make_line(s, number=number, flow="direct", fallback_number=number[:-3] + "999")
        anna, ben = make_operator(s, name="Anna"), make_operator(s, name="Ben")
        make_shift(s, anna, line)
        planner = make_user(s, Role.PLANNER, username=f"planer-{number[-3:]}")
        s.commit()
        return Hotline(
            number,
            line.id,
            (anna.id, anna.phone_number),
            (ben.id, ben.phone_number),
            planner.username,
        )


def sign_up(browser: requests.Session, web: WebProcess, phone: str) -> str:
    """Fill in the public sign-up form on ``web``; returns the code page's path."""
    form = {**SIGNUP, "phone": phone, "csrf_token": csrf_token(browser, web, "/hilfe/anmelden")}
    response = browser.post(
        f"{web.url}/hilfe/anmelden", data=form, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def texts_to(twilio: TwilioServer, phone: str) -> list[dict[str, str]]:
    return [m for m in list(twilio.messages) if m.get("To") == phone]


# -- the tests -----------------------------------------------------------------------------


def test_a_session_cookie_from_a_sign_in_on_one_web_process_works_on_the_other(deployment, hotline):
    first, second = deployment.webs
    browser = requests.Session()
    assert not signed_in(browser, second)
    sign_in(browser, first, hotline.planner)
    assert signed_in(browser, second)


def test_a_csrf_token_from_a_form_on_one_web_process_is_accepted_by_the_other(deployment, hotline):
    first, second = deployment.webs
    browser = requests.Session()
    form = {"username": hotline.planner, "password": PASSWORD}
    form["csrf_token"] = csrf_token(browser, first, "/anmelden")
    response = browser.post(f"{second.url}/anmelden", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 302 and signed_in(browser, first)


def test_signing_out_through_one_web_process_ends_the_session_on_the_other(deployment, hotline):
    first, second = deployment.webs
    browser = requests.Session()
    sign_in(browser, first, hotline.planner)
    copied = requests.Session()
    copied.cookies.update(browser.cookies)  # the same cookie, kept elsewhere
    assert signed_in(copied, first)
    form = {"csrf_token": csrf_token(browser, second, "/dienstplan/")}
    response = browser.post(f"{second.url}/abmelden", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert not signed_in(copied, first)


def test_a_sign_up_code_requested_through_one_web_process_is_confirmed_through_the_other(
    deployment,
):
    first, second = deployment.webs
    phone = next(_mobiles)
    browser = requests.Session()
    code_page = sign_up(browser, first, phone)
    [text] = wait_for(
        lambda: texts_to(deployment.twilio, phone), "the code is texted", TEXT_SECONDS
    )
    code = re.search(r"\b\d{6}\b", text["Body"]).group(0)
    form = {"code": code, "csrf_token": csrf_token(browser, second, code_page)}
    response = browser.post(second.url + code_page, data=form, timeout=10)
    assert response.status_code == 200 and SIGNUP["name"] in response.text
    with Session(deployment.engine) as s:
        helper = s.scalars(select(Helper).where(Helper.phone == phone)).one()
        assert helper.status == HelperStatus.ACTIVE


def test_a_repeat_caller_has_the_same_caller_hash_whichever_web_process_answers(
    deployment, hotline
):
    caller = next(_mobiles)
    sids = []
    for web in deployment.webs:
        sids.append(next(_call_sids))
        webhook(web, "/twilio/voice", CallSid=sids[-1], From=caller, To=hotline.number)
    with Session(deployment.engine) as s:
        hashes = s.scalars(select(Call.caller_hash).where(Call.call_sid.in_(sids))).all()
    assert len(hashes) == 2 and len(set(hashes)) == 1
    assert caller not in hashes[0] and caller[1:] not in hashes[0]


def test_a_shift_added_through_one_web_process_is_rung_by_every_web_process_with_the_next_call(
    deployment, hotline
):
    first, _ = deployment.webs
    (_, anna), (ben_id, ben) = hotline.on_shift, hotline.off_shift
    for web in deployment.webs:  # both directories know the roster without Ben
        assert rung(web, hotline.number) == {anna}
    browser = requests.Session()
    sign_in(browser, first, hotline.planner)
    now = dt.datetime.now(ZoneInfo("Europe/Berlin")).replace(tzinfo=None, second=0, microsecond=0)
    form = {
        "line_id": hotline.line_id,
        "operator_id": ben_id,
        "start": f"{now - dt.timedelta(hours=1):%Y-%m-%dT%H:%M}",
        "end": f"{now + dt.timedelta(hours=3):%Y-%m-%dT%H:%M}",
        "csrf_token": csrf_token(browser, first, "/dienstplan/schicht/neu"),
    }
    response = browser.post(
        f"{first.url}/dienstplan/schicht/neu", data=form, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text
    every_web_rings(deployment, hotline.number, {anna, ben})


def test_an_operator_who_accepted_on_one_web_process_is_not_rung_by_any_with_the_next_call(
    deployment, hotline
):
    first, _ = deployment.webs
    (_, anna), (ben_id, ben) = hotline.on_shift, hotline.off_shift
    with Session(deployment.engine) as s:  # Ben's shift, written straight into the database
        make_shift(s, s.get(Operator, ben_id), s.get(Line, hotline.line_id))
        s.commit()
    every_web_rings(deployment, hotline.number, {anna, ben})
    dial = new_call(first, hotline.number, caller=next(_mobiles))
    [screen] = [n.get("url") for n in dial.iter("Number") if (n.text or "").strip() == anna]
    leg = {"CallSid": next(_call_sids), "From": hotline.number, "To": anna}
    whisper = webhook(first, screen.removeprefix(PUBLIC_BASE), **leg)
    answer = whisper.find("Gather").get("action")
    accepted = webhook(first, answer.removeprefix(PUBLIC_BASE), **leg, Digits="1")
    # accepted: the leg stays up (no hangup) while it is moved into the call's conference
    assert accepted.find("Say") is not None and accepted.find("Hangup") is None
    every_web_rings(deployment, hotline.number, {ben})  # Anna is in the call


def test_texts_queued_through_a_web_process_are_sent_once_by_one_of_the_workers(
    deployment, outcome
):
    first, _ = deployment.webs
    phones = [next(_mobiles) for _ in range(4)]
    for phone in phones:
        sign_up(requests.Session(), first, phone)

    def all_sent() -> bool:
        with Session(deployment.engine) as s:
            states = s.scalars(
                select(OutboundMessage.state).where(OutboundMessage.to.in_(phones))
            ).all()
        return len(states) == len(phones) and all(st == MessageState.SENT for st in states)

    wait_for(all_sent, "every code is sent", TEXT_SECONDS)
    # A row is sent only after a worker claimed it, and once sent it is never claimed again:
    # what reached the provider now is all that ever will.
    sent = [len(texts_to(deployment.twilio, phone)) for phone in phones]
    outcome.record(kept=sent.count(1), lost=sent.count(0), doubled=sum(n - 1 for n in sent if n))
    assert sent == [1] * len(phones)


def test_two_web_processes_on_one_host_each_have_a_control_socket_of_their_own(deployment):
    sockets = [deployment.control_dir / f"gunicorn-{web.port}.ctl" for web in deployment.webs]
    wait_for(lambda: all(s.is_socket() for s in sockets), "both control sockets exist", 10)
    assert all(
        f"Control socket listening at {s}" in w.output()
        for s, w in zip(sockets, deployment.webs, strict=True)
    )
