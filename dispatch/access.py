"""Who may use the dispatch pages. Everyone signs in with a roster account at the rosters'
sign-in page (``rosters.login``, ``/anmelden``):

* coordinators (role ``coordinator`` or above): dashboard, approving organisations and adding
  their members, editing and importing helpers, closing tickets;
* operators (role ``operator`` or above): the "ticket by phone" form;
* organisation members (role ``member``): call-outs for their own organisation, once a
  coordinator has approved it.

Session, ``g.roster_user``, ``requires(Role)`` and the CSRF check (Flask-WTF) are shared with
the roster pages (:mod:`hotline.rosters.auth`).
"""

from __future__ import annotations

from flask import g

from dispatch.models import Organisation
from dispatch.organisations import organisation_of
from hotline.core.auth import check_csrf, load_user, requires
from hotline.core.extensions import db
from hotline.core.models import User

__all__ = ["check_csrf", "current_organisation", "current_user", "load_user", "requires"]


def current_user() -> User | None:
    return g.get("roster_user")


def current_organisation() -> Organisation | None:
    """The signed-in member's organisation (None for accounts without one)."""
    return organisation_of(db.session, current_user())
