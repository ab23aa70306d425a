"""Accounts for the roster pages: strong password hashes, throttled sign-in, roles, and
the changes that end an account's sessions.

Passwords are hashed with werkzeug's scrypt. After ``LOGIN_MAX_FAILURES`` failed attempts for
one account within ``LOGIN_LOCK_MINUTES`` — from whatever addresses — further attempts are
refused, even with the right password, until the window has passed: a guesser who rotates
addresses (or forges ``X-Forwarded-For``) gets no more guesses than one address would. One
address trying many accounts is stopped after :data:`ADDRESS_FACTOR` times as many failures.
The price is that a stranger can keep an account locked; an admin's
:func:`reset_password` lets its owner in again at once.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.core.errors import DomainError
from hotline.core.models import LoginFailure, Role, User, utcnow
from hotline.core.oncall.models import Operator

MIN_PASSWORD_LENGTH = 10
# Failures from one address, over all accounts, that lock that address (× max_failures).
ADDRESS_FACTOR = 4
# Verified against when the account does not exist, so timing does not reveal usernames.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(DomainError):
    """An account that cannot be stored or changed as asked."""


class LoginResult(str, Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short", count=MIN_PASSWORD_LENGTH)
    return generate_password_hash(password, method="scrypt")


def create_user(
    session: Session,
    username: str,
    name: str,
    password: str,
    role: Role | str,
    operator_id: int | None = None,
    language: str = "de",
) -> User:
    username = username.strip().lower()
    if not username:
        raise AccountError("username_missing")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError("username_taken", username=username)
    role = Role(role)
    if operator_id is not None and session.get(Operator, operator_id) is None:
        raise AccountError("operator_unknown", operator_id=operator_id)
    if role == Role.OPERATOR and operator_id is None:
        raise AccountError("operator_account_needs_operator")
    if role == Role.MEMBER and operator_id is not None:
        raise AccountError("member_not_operator")
    user = User(
        username=username,
        name=name.strip() or username,
        password_hash=hash_password(password),
        role=role,
        operator_id=operator_id,
        language=language if language in ("de", "en") else "de",
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session,
    username: str,
    password: str,
    address: str,
    max_failures: int = 5,
    lock_minutes: int = 15,
    now: dt.datetime | None = None,
) -> tuple[LoginResult, User | None]:
    now = now or utcnow()
    username = username.strip().lower()[:120]
    address = (address or "-")[:64]
    since = now - dt.timedelta(minutes=lock_minutes)
    failures = session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.username == username, LoginFailure.at > since
        )
    )
    from_address = session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.address == address, LoginFailure.at > since
        )
    )
    if failures >= max_failures or from_address >= max_failures * ADDRESS_FACTOR:
        return LoginResult.THROTTLED, None
    # Failures older than the window count for nothing any more; forget them.
    session.execute(delete(LoginFailure).where(LoginFailure.at <= since))
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        session.add(LoginFailure(username=username, address=address, at=now))
        return LoginResult.WRONG, None
    if not check_password_hash(user.password_hash, password):
        session.add(LoginFailure(username=username, address=address, at=now))
        return LoginResult.WRONG, None
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == username, LoginFailure.address == address
        )
    )
    return LoginResult.OK, user


# -- changes that end every session of an account ----------------------------------------------


def end_sessions(user: User) -> None:
    """Every session of ``user`` ends at its next request (see :mod:`hotline.core.auth`)."""
    user.session_generation = (user.session_generation or 0) + 1


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; sessions signed in with the old one end, and so does the lock."""
    user.password_hash = hash_password(password)
    end_sessions(user)
    session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))


def reset_password(session: Session, username: str, password: str) -> User:
    """An admin's reset, for someone who forgot their password, is locked out by a guesser,
    or whose password may have leaked."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise AccountError("username_unknown", username=username.strip())
    set_password(session, user, password)
    return user


def deactivate_user(session: Session, user: User) -> None:
    """No more sign-ins, and every open session ends now (not when its cookie expires)."""
    user.active = False
    end_sessions(user)
