"""Sending outbound messages: the send job and the state machine of one row.

One send is a short job on its row's priority queue::

    pending --checks--> skipped (opted out, no longer wanted) / pending later (quiet hours)
    pending --rate slot, claim--> sending --provider ok--> sent
                                     |--429/5xx--> pending (not_before = backoff) … failed
                                     '--permanent error--> failed

* The row is locked (``FOR UPDATE SKIP LOCKED``) while the checks run and the sender's rate
  slot is awaited, then **claimed** (``sending``, committed) *before* the provider is called.
  A worker that dies before the claim leaves the row pending for the next job; one that dies
  between the claim and the provider's answer leaves it ``sending``, and nothing picks a
  ``sending`` row up again: someone may miss a text, nobody gets one twice.
* A job waits at most ``MESSAGE_SLICE_SECONDS`` for a rate slot (see
  :mod:`hotline.core.ratelimit`). If the slot is further away, it gives the worker back and
  comes again when the slot is due; a default or bulk job also stops waiting as soon as a job
  of a more urgent queue is waiting, and goes back to the end of its queue. So a worker takes
  up urgent work within moments even while thousands of bulk texts wait for their turn.
* A retry (429, 5xx, network) is scheduled for its backoff time (``enqueue_at``), not left
  to the sweep; permanent errors (:data:`~hotline.core.telephony.PERMANENT_ERRORS`, any
  other 4xx) are never retried, and no message gets more than ``MESSAGE_MAX_ATTEMPTS``.
* Bulk rows are sent newest-work-first and round-robin: a bulk job sends the due row of the
  batch (a ticket) that was served least recently, batches never served first, the newest of
  those first — not necessarily the row whose commit enqueued it. Bulk rows are enqueued in
  jobs of :data:`BATCH_SIZE` (a wave of 10,000 is 200 jobs, not 10,000): such a job
  (:func:`send_messages`) owes as many sends as it names rows, so there are always as many
  sends owed as rows to send. It sends them one after the other at the rate limit, and after
  :data:`BATCH_SECONDS`, or as soon as an urgent or default job waits, puts the sends it
  still owes back at the end of its queue: it never holds a worker long, and a hotline
  call-out never waits behind a wave. The sweep counts the sends a bulk job owes from its
  id (``message-17-n50``: 50). A worker killed mid-batch loses no row and doubles none: its
  claimed row stays ``sending`` (reported, never sent again), the rest stay pending and the
  sweep makes up the sends the dead job owed.

Opt-outs bind texts: a number on the opt-out list gets none. Calls are not texts and are
placed regardless: a STOP ends texts from a number, while an operator on shift is rung
because they agreed to be, and a landline requester cannot text STOP at all.

E-mails (:attr:`Channel.EMAIL`) take the same path to the mail transport
(:mod:`hotline.core.mail`) instead of the phone provider: an unsubscribed or unreachable
address gets none, the rate limit is per sender address (``MAIL_RATE_PER_SECOND``), a 4xx
reply or a lost connection is retried with backoff, a 5xx reply fails for good (a refused
recipient marks the address unreachable), and a send cut after the message was handed over
is uncertain. The Message-ID is the row's ``sid``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from hotline.core import budgets, optouts
from hotline.core.delivery import DeliveryStatus, status_callback_url, undeliverable
from hotline.core.extensions import db, jobs, telephony
from hotline.core.mail import MailError, MailTransport, build_mail, mail_transport, mask_address
from hotline.core.mail import addresses as mail_addresses
from hotline.core.models import Channel, MessageState, OutboundMessage, utcnow
from hotline.core.phones import mask
from hotline.core.queues import Priority
from hotline.core.ratelimit import Rate, SlidingWindowLimiter
from hotline.core.registry import registry
from hotline.core.telephony import Telephony, TelephonyError
from hotline.core.worker import app_context

log = logging.getLogger(__name__)

JOB_PREFIX = "message-"
#: Finished send jobs are forgotten after this long; the row keeps what happened.
RESULT_TTL = 600
#: Bulk rows considered per pick, so a row another worker holds does not stop this one.
CANDIDATES = 5
#: Bulk rows per send job.
BATCH_SIZE = 50
#: How long a bulk job sends before it puts the rest of its batch back in the queue. Short,
#: because a worker asked to stop (a deploy, a scale-down) finishes its current job first:
#: the stop waits this long at most, plus one send. Putting a batch back costs one enqueue.
BATCH_SECONDS = 5.0
#: The clock a bulk job measures its slice of time with.
batch_clock: Callable[[], float] = time.monotonic


def job_id(message_id: int, suffix: str = "") -> str:
    return f"{JOB_PREFIX}{message_id}{'-' + suffix if suffix else ''}"


def message_id_of(job_id_: str) -> int | None:
    """The row id in a send job's id (a bulk job's first row), or None for any other job."""
    if not job_id_.startswith(JOB_PREFIX):
        return None
    head = job_id_[len(JOB_PREFIX) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def batch_suffix(count: int) -> str:
    """The part of a bulk job's id that says how many sends it owes (``n50``)."""
    return f"n{count}"


def sends_of(job_id_: str) -> int:
    """How many sends a send job owes: a bulk job's count (``message-17-n50``), else 1."""
    for part in job_id_[len(JOB_PREFIX) :].split("-")[1:]:
        if part[:1] == "n" and part[1:].isdigit():
            return int(part[1:])
    return 1


def _batches(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]


def _prepared(ids: list[int], suffix: str = "") -> Any:  # noqa: ANN401 - rq's EnqueueData
    """The enqueue data of the send job for ``ids`` (one row: :func:`send_message`)."""
    if len(ids) == 1:
        return Queue.prepare_data(
            send_message, args=(ids[0],), job_id=job_id(ids[0], suffix), result_ttl=RESULT_TTL
        )
    name = "-".join(filter(None, [batch_suffix(len(ids)), suffix]))
    return Queue.prepare_data(
        send_messages, args=(ids,), job_id=job_id(ids[0], name), result_ttl=RESULT_TTL
    )


# -- enqueueing ---------------------------------------------------------------------------------


def enqueue_sends(rows: Iterable[tuple[int, str]]) -> int:
    """Enqueue a send job for each committed ``(row id, priority)``, in one round trip per
    queue; returns how many made it into Redis (the sweep enqueues the rest later)."""
    by_priority: dict[str, list[int]] = defaultdict(list)
    for message_id, priority in rows:
        by_priority[priority].append(message_id)
    count = 0
    for priority, ids in by_priority.items():
        # Bulk rows in jobs of BATCH_SIZE; every other row its own job.
        groups = _batches(ids) if priority == Priority.BULK.value else [[i] for i in ids]
        try:
            queue = jobs.queue_named(priority)
            if not queue.is_async:
                for group in groups:
                    func, arg = (
                        (send_message, group[0]) if len(group) == 1 else (send_messages, group)
                    )
                    count += len(group) if jobs.enqueue(func, arg, priority=priority) else 0
                continue
            queue.enqueue_many([_prepared(group) for group in groups])
            count += len(ids)
        except (RedisError, OSError) as exc:
            log.warning("could not enqueue %d %s send job(s): %s", len(ids), priority, exc)
    return count


def requeue_send(message_id: int, priority: str) -> bool:
    """A send job for ``message_id`` at the end of its queue, under an id of its own (the
    running job's id may not be reused: its result expires, and the queued copy with it)."""
    try:
        jobs.queue_named(priority).enqueue(
            send_message,
            message_id,
            job_id=job_id(message_id, f"again-{uuid.uuid4().hex[:12]}"),
            result_ttl=RESULT_TTL,
        )
        return True
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue message %s again: %s", message_id, exc)
        return False


def requeue_sends(message_ids: list[int]) -> bool:
    """The sends a bulk job still owes for ``message_ids``, at the end of the bulk queue."""
    suffix = f"again-{uuid.uuid4().hex[:12]}"
    try:
        jobs.queue_named(Priority.BULK).enqueue_many([_prepared(message_ids, suffix)])
        return True
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue %d bulk send(s) again: %s", len(message_ids), exc)
        return False


def schedule_sends(message_ids: list[int], at: dt.datetime, why: str) -> bool:
    """The sends a bulk job still owes for ``message_ids``, due at ``at``."""
    if len(message_ids) == 1:
        return schedule_send(message_ids[0], Priority.BULK.value, at, why)
    suffix = f"{batch_suffix(len(message_ids))}-{why}-{int(at.timestamp() * 1000)}"
    try:
        jobs.queue_named(Priority.BULK).enqueue_at(
            at,
            send_messages,
            message_ids,
            job_id=job_id(message_ids[0], suffix),
            result_ttl=RESULT_TTL,
        )
        return True
    except (RedisError, OSError) as exc:
        log.warning("could not schedule %d bulk send(s) at %s: %s", len(message_ids), at, exc)
        return False


def schedule_send(message_id: int, priority: str, at: dt.datetime, why: str) -> bool:
    """A send job for ``message_id`` at ``at`` (its own job id: the running job's id may
    not be reused, its result would expire with the schedule in it)."""
    suffix = f"{why}-{int(at.timestamp() * 1000)}"
    try:
        jobs.queue_named(priority).enqueue_at(
            at, send_message, message_id, job_id=job_id(message_id, suffix), result_ttl=RESULT_TTL
        )
        return True
    except (RedisError, OSError) as exc:
        log.warning("could not schedule message %s at %s: %s", message_id, at, exc)
        return False


# -- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """The pipeline's settings, read once per job."""

    max_attempts: int = 5
    backoff_seconds: float = 2.0
    backoff_cap_seconds: float = 300.0
    slice_seconds: float = 1.0
    rates: dict[Channel, Rate | None] = field(default_factory=dict)

    @classmethod
    def from_config(cls) -> Policy:
        config = current_app.config
        return cls(
            max_attempts=max(1, int(config["MESSAGE_MAX_ATTEMPTS"])),
            backoff_seconds=float(config["MESSAGE_BACKOFF_SECONDS"]),
            backoff_cap_seconds=float(config["MESSAGE_BACKOFF_CAP_SECONDS"]),
            slice_seconds=float(config["MESSAGE_SLICE_SECONDS"]),
            rates={
                Channel.SMS: Rate.per_second(float(config["SMS_PER_SECOND"])),
                Channel.CALL: Rate.per_second(float(config["CALLS_PER_SECOND"])),
                Channel.EMAIL: Rate.per_second(float(config.get("MAIL_RATE_PER_SECOND", 0))),
            },
        )

    def backoff(self, attempts: int) -> dt.timedelta:
        """2 s, 4 s, 8 s … (with the default base) after the first, second, third attempt."""
        seconds = self.backoff_seconds * 2 ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, self.backoff_cap_seconds))


def app_limiter() -> SlidingWindowLimiter:
    limiter = current_app.extensions.get("rufbereit.rate_limiter")
    if limiter is None or limiter.redis is not jobs.redis:
        limiter = SlidingWindowLimiter(jobs.redis)
        current_app.extensions["rufbereit.rate_limiter"] = limiter
    return limiter


def shown_recipient(message: OutboundMessage) -> str:
    """The recipient as a log may show it: a masked number or address."""
    if message.channel == Channel.EMAIL:
        return mask_address(message.to)
    return mask(message.to)


# -- one send -----------------------------------------------------------------------------------


@dataclass
class Attempt:
    """What one pass of :func:`send_one` did."""

    outcome: str  # sent, failed, retry, skipped, postponed, waiting, nothing
    message_id: int | None = None
    #: When this message (or for ``waiting`` the job) should come back.
    retry_at: dt.datetime | None = None
    priority: str = Priority.DEFAULT.value
    detail: str = ""
    #: Gave the worker back to more urgent work before its rate slot was free.
    yielded: bool = False

    def __str__(self) -> str:
        what = f"message {self.message_id}: " if self.message_id else ""
        return f"{what}{self.outcome}" + (f" ({self.detail})" if self.detail else "")


def _due(now: dt.datetime):  # noqa: ANN202
    return or_(OutboundMessage.not_before.is_(None), OutboundMessage.not_before <= now)


def _lock(session: Session, message_id: int, now: dt.datetime) -> OutboundMessage | None:
    stmt = (
        select(OutboundMessage)
        .where(
            OutboundMessage.id == message_id,
            OutboundMessage.state == MessageState.PENDING,
            _due(now),
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).first()


def fair_candidates(session: Session, now: dt.datetime, limit: int = CANDIDATES) -> list[int]:
    """Due bulk rows in the order they should go out: the oldest row of each batch, the
    batch served least recently first (never served before all others, newest first)."""
    m = OutboundMessage
    group = func.coalesce(m.batch, m.key)
    heads = (
        select(group.label("grp"), func.min(m.id).label("head"))
        .where(m.state == MessageState.PENDING, m.priority == Priority.BULK.value, _due(now))
        .group_by(group)
        .subquery()
    )
    other = aliased(m)
    served = select(func.max(other.claimed_at)).where(other.batch == heads.c.grp)
    stmt = (
        select(heads.c.head)
        .order_by(served.scalar_subquery().asc().nulls_first(), heads.c.head.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def _any_free_bulk(session: Session, now: dt.datetime) -> OutboundMessage | None:
    stmt = (
        select(OutboundMessage)
        .where(
            OutboundMessage.state == MessageState.PENDING,
            OutboundMessage.priority == Priority.BULK.value,
            _due(now),
        )
        .order_by(OutboundMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).first()


def _pick(
    session: Session,
    message_id: int,
    policy: Policy,
    now_fn: Callable[[], dt.datetime],
    sleep: Callable[[float], None],
) -> tuple[OutboundMessage | None, Attempt | None]:
    """Lock the row to send now, or say why there is none."""
    now = now_fn()
    row = session.get(OutboundMessage, message_id, populate_existing=True)
    if row is None:
        return None, Attempt("nothing", message_id, detail="no such message")
    if row.priority == Priority.BULK.value:
        for candidate in fair_candidates(session, now):
            locked = _lock(session, candidate, now)
            if locked is not None:
                return locked, None
        locked = _any_free_bulk(session, now)
        if locked is not None:
            return locked, None
    if row.state != MessageState.PENDING:
        return None, Attempt("nothing", message_id, detail=f"already {row.state.value}")
    if row.not_before is not None and row.not_before > now:
        # RQ schedules to the whole second, so a scheduled job may come a little early.
        early = (row.not_before - now).total_seconds()
        if early > policy.slice_seconds:
            return None, Attempt("nothing", message_id, detail=f"not due before {row.not_before}")
        sleep(early)
        now = now_fn()
    locked = _lock(session, message_id, now)
    if locked is None:
        return None, Attempt("nothing", message_id, detail="taken by another worker")
    return locked, None


def _check(
    session: Session, message: OutboundMessage, now: dt.datetime
) -> str | dt.datetime | None:
    if message.channel == Channel.SMS and optouts.is_opted_out(session, message.to):
        return "opted out"
    if message.channel == Channel.EMAIL:
        blocked = mail_addresses.blocked_reason(session, message.to)
        if blocked is not None:
            return f"address {blocked}"
    kind = registry().message_kinds.get(message.kind)
    if kind is not None and kind.check is not None:
        return kind.check(session, message, now)
    return None


def send_one(
    session: Session,
    message_id: int,
    provider: Telephony,
    limiter: SlidingWindowLimiter | None,
    policy: Policy,
    now_fn: Callable[[], dt.datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    yield_to: Callable[[], bool] | None = None,
    mailer: MailTransport | None = None,
) -> Attempt:
    """Send ``message_id`` (for a bulk row: the fairest due bulk row) at most once.

    ``yield_to`` says whether more urgent jobs are waiting; a wait for a rate slot then ends
    at once (not for urgent messages themselves). ``mailer`` sends e-mails (default: the
    app's mail transport).

    Commits every state change itself; exceptions other than :class:`TelephonyError` and
    :class:`MailError` leave a claimed row in ``sending`` and propagate.
    """
    message, nothing = _pick(session, message_id, policy, now_fn, sleep)
    if message is None:
        session.rollback()
        return nothing or Attempt("nothing", message_id)
    now = now_fn()
    verdict = _check(session, message, now)
    if isinstance(verdict, str):
        message.state = MessageState.SKIPPED
        session.commit()
        log.info("message %s (%s) skipped: %s", message.id, message.kind, verdict)
        return Attempt("skipped", message.id, priority=message.priority, detail=verdict)
    if isinstance(verdict, dt.datetime):
        message.not_before = verdict
        session.commit()
        return Attempt("postponed", message.id, verdict, message.priority)

    if message.priority != Priority.URGENT.value and budgets.daily_cap_reached(message.kind, now):
        # Today's texts of this kind are spent (coordinators were alerted): tomorrow.
        message.not_before = budgets.next_local_day(now)
        session.commit()
        return Attempt("postponed", message.id, message.not_before, message.priority, "daily cap")

    rate = policy.rates.get(message.channel) if limiter is not None else None
    slot = f"{message.channel.value}:{message.sender}"
    member = f"{message.id}:{uuid.uuid4().hex[:8]}"
    if rate is not None:
        more_urgent = yield_to if message.priority != Priority.URGENT.value else None
        wait = limiter.acquire(slot, rate, member, policy.slice_seconds, more_urgent)
        if wait:
            session.rollback()  # unlock: another job may send it meanwhile
            back = now_fn() + dt.timedelta(seconds=wait)
            yielded = more_urgent is not None and more_urgent()
            return Attempt(
                "waiting", message.id, back, message.priority, "rate limit", yielded=yielded
            )

    message.state = MessageState.SENDING
    message.attempts += 1
    message.claimed_at = now_fn()
    session.commit()
    try:
        sid = _hand_over(provider, message, mailer)
    except (TelephonyError, MailError) as exc:
        return _failed(session, message, exc, policy, now_fn())
    finally:
        if rate is not None:
            _complete(limiter, slot, rate, member)
    message.state = MessageState.SENT
    message.sid = sid
    message.sent_at = now_fn()
    message.delivery_status = message.delivery_status or DeliveryStatus.QUEUED.value
    if message.channel == Channel.EMAIL:
        mail_addresses.delivered(session, message.to)
    session.commit()
    if message.priority != Priority.URGENT.value:
        budgets.note_sent(message.kind)
    return Attempt("sent", message.id, priority=message.priority)


def _complete(limiter: SlidingWindowLimiter, slot: str, rate: Rate, member: str) -> None:
    try:
        limiter.complete(slot, rate, member)
    except (RedisError, OSError) as exc:  # the in-flight entry expires on its own
        log.warning("rate limit %s: could not record a finished send: %s", slot, exc)


def _hand_over(
    provider: Telephony, message: OutboundMessage, mailer: MailTransport | None = None
) -> str:
    if message.channel == Channel.EMAIL:
        return (mailer or mail_transport()).send(build_mail(message))
    callback = status_callback_url(message.channel)
    if message.channel == Channel.CALL:
        return provider.place_call(
            message.to,
            message.sender,
            message.body,
            timeout=message.ring_seconds or 20,
            status_callback=callback,
        )
    return provider.send_sms(message.to, message.sender, message.body, status_callback=callback)


def _failed(
    session: Session,
    message: OutboundMessage,
    exc: TelephonyError | MailError,
    policy: Policy,
    now: dt.datetime,
) -> Attempt:
    message.error_code = exc.code
    if exc.outcome_unknown:
        message.state = MessageState.UNCERTAIN
        session.commit()
        log.error(
            "%s %s to %s: the provider may or may not have it (%s); not sent again",
            message.channel.value,
            message.key,
            shown_recipient(message),
            exc,
        )
        return Attempt("uncertain", message.id, priority=message.priority, detail=str(exc))
    if exc.retryable and message.attempts < policy.max_attempts:
        message.state = MessageState.PENDING
        message.not_before = now + policy.backoff(message.attempts)
        session.commit()
        log.info(
            "%s %s to %s: %s, retry at %s",
            message.channel.value,
            message.key,
            shown_recipient(message),
            exc,
            message.not_before,
        )
        return Attempt("retry", message.id, message.not_before, message.priority, str(exc))
    message.state = MessageState.FAILED
    message.delivery_status = DeliveryStatus.FAILED.value
    if isinstance(exc, MailError) and exc.recipient_refused:
        mail_addresses.record_bounce(session, message.to, str(exc.code))
    undeliverable(session, message)
    session.commit()
    log.warning(
        "%s %s to %s failed: %s (code %s)",
        message.channel.value,
        message.key,
        shown_recipient(message),
        exc,
        exc.code,
    )
    return Attempt("failed", message.id, priority=message.priority, detail=str(exc))


# -- the job ------------------------------------------------------------------------------------


def more_urgent_jobs_waiting(priority: str) -> Callable[[], bool]:
    """Whether a job of a queue served before ``priority``'s is waiting."""
    order = [p.value for p in Priority]
    before = [jobs.queue_named(p) for p in order[: order.index(priority)]]
    return lambda: any(queue.count for queue in before)


def send_message(message_id: int) -> str:
    """The send job of one stored message (see the module docstring)."""
    with app_context():
        session = db.new_session()
        try:
            row = session.get(OutboundMessage, message_id)
            yield_to = more_urgent_jobs_waiting(row.priority) if row is not None else None
            attempt = send_one(
                session,
                message_id,
                telephony(),
                app_limiter(),
                Policy.from_config(),
                yield_to=yield_to,
            )
        finally:
            session.close()
        if attempt.yielded:
            # Back at the end of its queue: the worker serves the urgent job first, then
            # this one waits for its slot again.
            requeue_send(message_id, attempt.priority)
            return str(attempt)
        if attempt.retry_at is not None:
            why = "wait" if attempt.outcome == "waiting" else attempt.outcome
            # The job comes back for whichever row is fairest then; a row of its own has
            # its own time, a bulk token comes back when the rate slot is free.
            target = message_id if attempt.outcome == "waiting" else attempt.message_id
            schedule_send(target, attempt.priority, attempt.retry_at, why)
        return str(attempt)


def send_messages(message_ids: list[int]) -> str:
    """The send job of a batch of bulk rows: one send per row named, each the fairest due
    bulk row then (see the module docstring), at the rate limit.

    Gives the worker back after :data:`BATCH_SECONDS` or when a more urgent job waits, with
    the sends still owed at the end of the bulk queue; waits for a far rate slot as a
    scheduled job. A row that is retried or postponed comes back as a job of its own, as
    with :func:`send_message`. Running the same job twice sends nothing twice: every send
    claims its row first.
    """
    owed = list(message_ids)
    done: Counter[str] = Counter()
    with app_context():
        session = db.new_session()
        try:
            provider, limiter, policy = telephony(), app_limiter(), Policy.from_config()
            yield_to = more_urgent_jobs_waiting(Priority.BULK.value)
            started = batch_clock()
            while owed:
                if yield_to() or batch_clock() - started >= BATCH_SECONDS:
                    requeue_sends(owed)
                    break
                attempt = send_one(session, owed[0], provider, limiter, policy, yield_to=yield_to)
                if attempt.outcome == "waiting":
                    if attempt.yielded or attempt.retry_at is None:
                        requeue_sends(owed)
                    else:
                        schedule_sends(owed, attempt.retry_at, "wait")
                    break
                owed.pop(0)
                done[attempt.outcome] += 1
                if attempt.retry_at is not None:  # retried or postponed: that row's own job
                    target = attempt.message_id or message_ids[0]
                    schedule_send(target, attempt.priority, attempt.retry_at, attempt.outcome)
        finally:
            session.close()
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(done.items())) or "nothing"
    return f"{len(message_ids)} bulk send(s): {summary}" + (
        f"; {len(owed)} put back" if owed else ""
    )


# -- sending everything that is due, in-process (tests, command line) -------------------------


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry_at: dt.datetime | None = None
    errors: list[str] = field(default_factory=list)


def send_due(
    session: Session,
    provider: Telephony | None = None,
    *,
    now: dt.datetime | None = None,
    limiter: SlidingWindowLimiter | None = None,
    limit: int | None = None,
) -> SendReport:
    """Send every message that is due, one by one, in this process and without waiting for
    backoffs: what the workers would do, for tests and the command line. With ``now``, the
    clock stands still at that time."""
    provider = provider or telephony()
    policy = Policy.from_config()
    report = SendReport()
    handled = 0
    done: set[int] = set()  # rows this run has dealt with (or cannot deal with now)
    clock = (lambda: now) if now is not None else utcnow
    while limit is None or handled < limit:
        stmt = (
            select(OutboundMessage.id)
            .where(OutboundMessage.state == MessageState.PENDING, _due(clock()))
            .order_by(OutboundMessage.id)
            .limit(1)
        )
        if done:
            stmt = stmt.where(OutboundMessage.id.not_in(done))
        message_id = session.scalar(stmt)
        if message_id is None:
            break
        handled += 1
        attempt = send_one(
            session, message_id, provider, limiter, policy, now_fn=clock, sleep=lambda s: None
        )
        # A bulk row's pass may send a fairer row than the one asked for; that one is done.
        done.add(attempt.message_id if attempt.message_id is not None else message_id)
        if attempt.outcome in ("nothing", "waiting"):
            done.add(message_id)
        if attempt.outcome == "sent":
            report.sent += 1
        elif attempt.outcome == "failed":
            report.failed += 1
            report.errors.append(f"{attempt.message_id}: {attempt.detail}")
        elif attempt.outcome == "skipped":
            report.skipped += 1
        if attempt.retry_at is not None:
            report.retry_at = min(filter(None, [report.retry_at, attempt.retry_at]))
    return report
