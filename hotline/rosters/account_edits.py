"""Roster accounts made by an admin, on the users page or with ``rufbereit user``.

Organisation members sign in too, but they belong to an organisation and are added on its
page (dispatch); the roster side makes every other role.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.core.accounts import AccountError, create_user
from hotline.core.models import Role, User


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
        raise AccountError("organisation members are added on the organisation's page")
    return create_user(session, username, name, password, role, operator_id, language)
