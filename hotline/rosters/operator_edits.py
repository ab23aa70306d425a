"""Adding and changing operators for the roster pages and the command line alike.

Numbers are mobile numbers in E.164 and unique; names are required and fit the column.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.oncall.models import Operator, OperatorStatus
from hotline.core.oncall.operators import KNOWN_LANGUAGES, OperatorError, create_operator
from hotline.core.phones import to_mobile_e164

#: Longest name the operators table holds.
MAX_NAME_LENGTH = 120


def _name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise OperatorError("name_missing")
    if len(name) > MAX_NAME_LENGTH:
        raise OperatorError("name_too_long", count=MAX_NAME_LENGTH)
    return name


def _languages(codes: list[str]) -> list[str]:
    """Lower-case codes, German when none is given; unknown codes are refused."""
    cleaned = [c.strip().lower() for c in codes if c.strip()] or ["de"]
    unknown = [c for c in cleaned if c not in KNOWN_LANGUAGES]
    if unknown:
        raise OperatorError("language_codes_unknown", codes=", ".join(unknown))
    return cleaned


def add_operator(
    session: Session,
    name: str,
    phone: str,
    languages: list[str],
    status: OperatorStatus | str = OperatorStatus.ACTIVE,
    region: str = "DE",
) -> Operator:
    """A new operator with a mobile number nobody else has."""
    return create_operator(
        session, _name(name), phone, _languages(languages), OperatorStatus(status), region
    )


def update_operator(
    session: Session,
    operator_id: int,
    name: str,
    phone: str,
    languages: list[str],
    status: OperatorStatus | str,
    region: str = "DE",
) -> Operator:
    """Change an operator's name, number, languages and status (pausing keeps the shifts)."""
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise OperatorError("operator_unknown", operator_id=operator_id)
    number = to_mobile_e164(phone, region)
    clash = session.scalar(
        select(Operator.id).where(Operator.phone_number == number, Operator.id != operator_id)
    )
    if clash is not None:
        raise OperatorError("operator_number_taken", number=number)
    operator.name = _name(name)
    operator.phone_number = number
    operator.languages = _languages(languages)
    operator.status = OperatorStatus(status)
    session.flush()
    return operator
