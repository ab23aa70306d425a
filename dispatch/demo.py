"""Demo data for ``scripts/run``: sign-ins for the dispatch pages and a few helpers.

Only for development databases: the accounts have a published password.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.helpers import create_helper
from dispatch.models import Organisation
from dispatch.organisations import add_member, approve
from hotline.core.accounts import create_user
from hotline.core.models import Role, User

DEMO_PASSWORD = "rufbereit-demo"
#: (username, what the account may do), all with :data:`DEMO_PASSWORD`.
DEMO_SIGN_INS = (
    ("koordination", "coordinator: /heute, calls, /dispatch/ (organisations, helpers, tickets)"),
    ("tafel", "member of the approved organisation 'Tafel Demo': /dispatch/aufrufe/neu"),
)
DEMO_HELPERS = (
    ("Hanna Demo", "+4916000000101", "10115", "shopping,errands"),
    ("Ilker Demo", "+4916000000102", "10117", "shopping,translation"),
    ("Jana Demo", "+4916000000103", "10119", "errands,phone_company"),
)


def load_dispatch_demo(session: Session) -> str:
    if session.scalar(select(User.id).where(User.username == DEMO_SIGN_INS[0][0])) is not None:
        return "demo sign-ins already present"
    create_user(session, "koordination", "Koordination Demo", DEMO_PASSWORD, Role.COORDINATOR)
    org = Organisation(name="Tafel Demo", contact_phone="+4915100000010")
    session.add(org)
    session.flush()
    approve(session, org)
    add_member(session, org, "tafel", "Tina Tafel", DEMO_PASSWORD)
    for name, phone, postal_code, activities in DEMO_HELPERS:
        create_helper(
            session,
            {
                "name": name,
                "phone": phone,
                "postal_code": postal_code,
                "radius_km": "10",
                "activities": activities.split(","),
                "languages": "de",
                "consent": "1",
            },
        )
    accounts = ", ".join(f"{user} ({what})" for user, what in DEMO_SIGN_INS)
    return (
        f"demo sign-ins at /anmelden (password {DEMO_PASSWORD}): {accounts}; "
        f"{len(DEMO_HELPERS)} helpers in Berlin-Mitte"
    )
