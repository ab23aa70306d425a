"""Creating operators: mobile numbers of the allowed countries only, stored in E.164."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.errors import DomainError
from hotline.core.oncall.models import Operator, OperatorStatus
from hotline.core.phones import to_mobile_e164

KNOWN_LANGUAGES = {"de", "en", "tr", "ar", "uk", "ru", "fr", "es", "it", "pl", "fa", "ku"}


class OperatorError(DomainError):
    """An operator that cannot be stored as given."""


def create_operator(
    session: Session,
    name: str,
    phone: str,
    languages: list[str] | None = None,
    status: OperatorStatus | str = OperatorStatus.ACTIVE,
    region: str = "DE",
) -> Operator:
    number = to_mobile_e164(phone, region)
    if session.scalar(select(Operator.id).where(Operator.phone_number == number)) is not None:
        raise OperatorError("operator_number_taken", number=number)
    codes = [c.strip().lower() for c in (languages or ["de"]) if c.strip()]
    unknown = [c for c in codes if c not in KNOWN_LANGUAGES]
    if unknown:
        raise OperatorError("language_codes_unknown", codes=", ".join(unknown))
    operator = Operator(name=name.strip(), phone_number=number, status=OperatorStatus(status))
    operator.languages = codes
    session.add(operator)
    session.flush()
    return operator
