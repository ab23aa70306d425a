"""Roster accounts made by an admin, on the users page or with ``rufbereit user``.

Organisation members sign in too, but they belong to an organisation and are added on its
page (dispatch); the roster side makes every other role, and changes, deactivates and
resets the passwords of these accounts.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.core.accounts import AccountError, create_user, deactivate_user, set_password
from hotline.core.i18n import LANGUAGES
from hotline.core.models import Role, User
from hotline.core.oncall.models import Operator


def add_account(
    session: Session,
    username: str,
    name: str,
    password: str,
    role: Role | str,
    operator_id: int | None = None,
    language: str = "de",
) -> User:
    """A new roster account; operators' accounts belong to their operator."""
    if Role(role) == Role.MEMBER:
        raise AccountError("member_on_organisation_page")
    return create_user(session, username, name, password, role, operator_id, language)


def _account(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role == Role.MEMBER:
        raise AccountError("account_unknown", user_id=user_id)
    return user


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
        )
    )


def update_account(
    session: Session,
    user_id: int,
    name: str,
    role: Role | str,
    operator_id: int | None,
    language: str = "de",
) -> User:
    """Change an account's name, role, operator and language.

    A new role takes effect at the account's next request (roles are read per request);
    the last active admin keeps the role, so the users page always has someone to run it.
    """
    user = _account(session, user_id)
    role = Role(role)
    if role == Role.MEMBER:
        raise AccountError("member_on_organisation_page")
    if role == Role.OPERATOR and operator_id is None:
        raise AccountError("operator_account_needs_operator")
    if operator_id is not None:
        if session.get(Operator, operator_id) is None:
            raise AccountError("operator_unknown", operator_id=operator_id)
        taken = session.scalar(
            select(User.username).where(User.operator_id == operator_id, User.id != user.id)
        )
        if taken is not None:
            raise AccountError("operator_has_account", operator_id=operator_id, username=taken)
    if user.role == Role.ADMIN and role != Role.ADMIN and not _other_active_admins(session, user):
        raise AccountError("last_admin")
    user.name = name.strip() or user.username
    user.role = role
    user.operator_id = operator_id
    user.language = language if language in LANGUAGES else user.language
    session.flush()
    return user


def set_account_active(session: Session, user_id: int, active: bool, by: User) -> User:
    """Deactivate (no sign-in, every open session ends now) or reactivate an account.

    Nobody deactivates their own account (they would lock themselves out mid-request), and
    the last active admin stays."""
    user = _account(session, user_id)
    if not active:
        if user.id == by.id:
            raise AccountError("own_account_deactivate")
        if user.role == Role.ADMIN and not _other_active_admins(session, user):
            raise AccountError("last_admin")
        deactivate_user(session, user)
    else:
        user.active = True
    session.flush()
    return user


def reset_account_password(session: Session, user_id: int, password: str) -> User:
    """An admin's password reset on the users page (like ``rufbereit user reset-password``):
    every session of the account ends and a sign-in lock is lifted."""
    user = _account(session, user_id)
    set_password(session, user, password)
    session.flush()
    return user
