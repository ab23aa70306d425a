"""The in-memory shape of a validated flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class NodeType(str, Enum):
    GREETING = "greeting"  # say something, continue with `next`
    LANGUAGE = "language"  # keypad/speech choice of the caller's language
    MENU = "menu"  # keypad/speech menu
    HOURS = "hours"  # branch on the line's opening hours
    ROUTE = "route"  # ring the operators on shift (with overflow)
    GOTO = "goto"  # jump to `next`
    HANGUP = "hangup"  # optional prompt, then hang up
    INTAKE = "intake"  # dispatch phone intake: the request becomes a ticket (dispatch.intake)


#: Nodes that end the flow; every reachable node must be able to get to one of them.
TERMINAL_TYPES = frozenset({NodeType.ROUTE, NodeType.HANGUP, NodeType.INTAKE})
#: Nodes that wait for the caller; a cycle without one of these would spin forever.
INPUT_TYPES = frozenset({NodeType.LANGUAGE, NodeType.MENU})


@dataclass(frozen=True)
class LanguageSpec:
    code: str  # short code used in prompts: de, en, tr, ar, uk, ru
    locale: str  # Twilio <Say>/<Gather> language, e.g. de-DE
    voice: str | None = None  # Twilio voice, e.g. Polly.Vicki
    name: str = ""  # spoken name, used as a speech hint for the language choice


@dataclass(frozen=True)
class Option:
    key: str  # keypad digit
    next: str
    label: str = ""
    speech: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language -> keywords


@dataclass
class Node:
    id: str
    type: NodeType
    line: int
    say: dict[str, str] = field(default_factory=dict)
    next: str | None = None
    options: dict[str, Option] = field(default_factory=dict)
    choices: dict[str, str] = field(default_factory=dict)  # language node: digit -> code
    retries: int = 2
    no_input: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)
    on_failure: str | None = None
    open: str | None = None
    closed: str | None = None
    timeout: int = 6

    def successors(self) -> list[str]:
        refs = [self.next, self.on_failure, self.open, self.closed]
        refs += [o.next for o in self.options.values()]
        return [r for r in refs if r]


@dataclass
class Flow:
    name: str
    path: str
    default_language: str
    languages: dict[str, LanguageSpec]
    start: str
    nodes: dict[str, Node]
    messages: dict[str, dict[str, str]] = field(default_factory=dict)
    #: A walk-home line: a bridged call is "accompanying" until the operator marks the person
    #: arrived (see ``hotline.voice.accompaniment``).
    accompaniment: bool = False

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def language(self, code: str | None) -> LanguageSpec:
        return self.languages.get(code or "", self.languages[self.default_language])
