"""An inbound text as every handler sees it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    sender: str  # E.164
    to: str  # E.164, the line/sender number that was texted
    body: str

    @property
    def words(self) -> list[str]:
        return self.body.strip().split()

    @property
    def keyword(self) -> str:
        return self.words[0].upper().strip(".!?,") if self.words else ""
