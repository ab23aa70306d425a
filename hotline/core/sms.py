"""An inbound text as every handler sees it."""

from __future__ import annotations

from dataclasses import dataclass

#: Trailing punctuation people add to a keyword ("Ja!", "stopp.").
KEYWORD_PUNCTUATION = ".!?,;:"


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    sender: str  # E.164
    to: str  # E.164 when it parses, else as received: the line/sender number that was texted
    body: str

    @property
    def words(self) -> list[str]:
        return self.body.strip().split()

    @property
    def keyword(self) -> str:
        """The first word, upper case, without trailing punctuation: what routes match on."""
        return self.words[0].upper().strip(KEYWORD_PUNCTUATION) if self.words else ""
