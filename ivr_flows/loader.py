"""Load flow files and report every problem with file and line.

PyYAML is used with a loader that remembers the line of every mapping and key, so an error
says ``heimweg.yaml:42: node 'menu': unknown node 'rout' in option 1`` rather than a
traceback.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ivr_flows.model import (
    INPUT_TYPES,
    TERMINAL_TYPES,
    Flow,
    LanguageSpec,
    Node,
    NodeType,
    Option,
)

FLOWS_DIR = Path(__file__).resolve().parent

NODE_FIELDS: dict[NodeType, set[str]] = {
    NodeType.GREETING: {"say", "next"},
    NodeType.LANGUAGE: {"say", "choices", "next", "retries", "no_input", "invalid", "timeout"},
    NodeType.MENU: {"say", "options", "retries", "no_input", "invalid", "on_failure", "timeout"},
    NodeType.HOURS: {"open", "closed"},
    NodeType.ROUTE: {"say"},
    NodeType.GOTO: {"next"},
    NodeType.HANGUP: {"say"},
    NodeType.INTAKE: {"say", "on_failure"},
}
REQUIRED_FIELDS: dict[NodeType, set[str]] = {
    NodeType.GREETING: {"say", "next"},
    NodeType.LANGUAGE: {"say", "choices", "next"},
    NodeType.MENU: {"say", "options", "on_failure"},
    NodeType.HOURS: {"open", "closed"},
    NodeType.ROUTE: set(),
    NodeType.GOTO: {"next"},
    NodeType.HANGUP: set(),
    NodeType.INTAKE: {"on_failure"},
}
PROMPT_FIELDS = ("say", "no_input", "invalid")
TOP_LEVEL = {
    "name",
    "description",
    "default_language",
    "languages",
    "start",
    "nodes",
    "messages",
    "accompaniment",
}


@dataclass(frozen=True)
class FlowError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class FlowValidationError(ValueError):
    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class _LineDict(dict):
    """A mapping that knows the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    mapping = _LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool | int | float):
            key = key_node.value  # "1:" is a keypad digit, "no:" a word, not a boolean
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# YAML 1.1 reads yes/no/on/off as booleans; in prompts and speech keywords they are words.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _line_of(mapping: Any, key: Any = None, default: int = 1) -> int:
    if isinstance(mapping, _LineDict):
        if key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return mapping.line
    return default


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[FlowError] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(FlowError(self.path, line, message))

    # -- pieces ---------------------------------------------------------------------------

    def prompt(self, where: str, raw: Any, line: int, languages: list[str]) -> dict[str, str]:
        if isinstance(raw, str):
            raw = {languages[0]: raw} if len(languages) == 1 else raw
        if not isinstance(raw, dict):
            self.error(line, f"{where}: expected a mapping of language to text")
            return {}
        result = {str(k): str(v).strip() for k, v in raw.items() if v is not None}
        for code in languages:
            if not result.get(code):
                self.error(line, f"{where}: missing prompt for language '{code}'")
        for code in result:
            if code not in languages:
                self.error(_line_of(raw, code, line), f"{where}: language '{code}' not declared")
        return result

    def languages(self, raw: Any, line: int) -> dict[str, LanguageSpec]:
        if not isinstance(raw, dict) or not raw:
            self.error(line, "'languages' must map language codes to their Twilio settings")
            return {}
        specs: dict[str, LanguageSpec] = {}
        for code, conf in raw.items():
            where = _line_of(raw, code, line)
            if not isinstance(conf, dict) or not conf.get("locale"):
                self.error(where, f"language '{code}': needs 'locale' (e.g. de-DE)")
                continue
            specs[str(code)] = LanguageSpec(
                code=str(code),
                locale=str(conf["locale"]),
                voice=str(conf["voice"]) if conf.get("voice") else None,
                name=str(conf.get("name", "")),
            )
        return specs

    def node(self, node_id: str, raw: Any, line: int, languages: list[str]) -> Node | None:
        if not isinstance(raw, dict):
            self.error(line, f"node '{node_id}': expected a mapping")
            return None
        # errors about the node as a whole point at its name (``line``)
        type_name = raw.get("type")
        try:
            node_type = NodeType(type_name)
        except ValueError:
            known = ", ".join(t.value for t in NodeType)
            self.error(line, f"node '{node_id}': unknown node type {type_name!r} (known: {known})")
            return None
        allowed = NODE_FIELDS[node_type] | {"type", "description"}
        for key in raw:
            if key not in allowed:
                self.error(
                    _line_of(raw, key, line),
                    f"node '{node_id}': unknown field '{key}' for a {node_type.value} node",
                )
        for key in sorted(REQUIRED_FIELDS[node_type] - set(raw)):
            self.error(line, f"node '{node_id}': a {node_type.value} node needs '{key}'")

        node = Node(id=node_id, type=node_type, line=line)
        for field_name in PROMPT_FIELDS:
            if field_name in raw:
                prompt = self.prompt(
                    f"node '{node_id}' {field_name}",
                    raw[field_name],
                    _line_of(raw, field_name, line),
                    languages,
                )
                setattr(node, field_name, prompt)
        for ref in ("next", "on_failure", "open", "closed"):
            if ref in raw:
                setattr(node, ref, str(raw[ref]))
        for num in ("retries", "timeout"):
            if num in raw:
                value = raw[num]
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
                    self.error(
                        _line_of(raw, num, line),
                        f"node '{node_id}': '{num}' must be a number from 0 to 10",
                    )
                else:
                    setattr(node, num, value)
        if "choices" in raw:
            node.choices = self.choices(
                node_id, raw["choices"], _line_of(raw, "choices"), languages
            )
        if "options" in raw:
            node.options = self.options(
                node_id, raw["options"], _line_of(raw, "options"), languages
            )
        return node

    def choices(self, node_id: str, raw: Any, line: int, languages: list[str]) -> dict[str, str]:
        if not isinstance(raw, dict) or not raw:
            self.error(line, f"node '{node_id}': 'choices' must map keypad digits to languages")
            return {}
        result = {}
        for digit, code in raw.items():
            where = _line_of(raw, digit, line)
            if not _is_key(digit):
                self.error(where, f"node '{node_id}': choice key {digit!r} is not a keypad key")
            if code not in languages:
                self.error(where, f"node '{node_id}': choice {digit} names undeclared '{code}'")
            result[str(digit)] = str(code)
        missing = set(languages) - set(result.values())
        for code in sorted(missing):
            self.error(line, f"node '{node_id}': no choice for declared language '{code}'")
        return result

    def options(self, node_id: str, raw: Any, line: int, languages: list[str]) -> dict[str, Option]:
        if not isinstance(raw, dict) or not raw:
            self.error(line, f"node '{node_id}': 'options' must map keypad digits to options")
            return {}
        result = {}
        for digit, conf in raw.items():
            where = _line_of(raw, digit, line)
            if not _is_key(digit):
                self.error(where, f"node '{node_id}': option key {digit!r} is not a keypad key")
            if isinstance(conf, str):
                conf = {"next": conf}
            if not isinstance(conf, dict) or "next" not in conf:
                self.error(where, f"node '{node_id}': option {digit} needs 'next'")
                continue
            speech: dict[str, tuple[str, ...]] = {}
            raw_speech = conf.get("speech") or {}
            if not isinstance(raw_speech, dict):
                self.error(where, f"node '{node_id}': option {digit} 'speech' must be a mapping")
                raw_speech = {}
            for code, words in raw_speech.items():
                if code not in languages:
                    self.error(where, f"node '{node_id}': option {digit} speech for '{code}'")
                    continue
                if isinstance(words, str):
                    words = [words]
                speech[str(code)] = tuple(str(w).lower() for w in words)
            result[str(digit)] = Option(
                key=str(digit),
                next=str(conf["next"]),
                label=str(conf.get("label", "")),
                speech=speech,
            )
        return result

    # -- whole flow -----------------------------------------------------------------------

    def flow(self, raw: Any, name: str) -> Flow | None:
        if not isinstance(raw, dict):
            self.error(1, "a flow file must be a mapping with 'languages', 'start' and 'nodes'")
            return None
        for key in raw:
            if key not in TOP_LEVEL:
                self.error(_line_of(raw, key), f"unknown top-level field '{key}'")
        languages = self.languages(raw.get("languages"), _line_of(raw, "languages"))
        codes = list(languages)
        default = str(raw.get("default_language", codes[0] if codes else ""))
        if codes and default not in languages:
            self.error(
                _line_of(raw, "default_language"), f"default_language '{default}' not declared"
            )
        # the default language is spoken first and must be complete first
        codes = [default] + [c for c in codes if c != default] if default in codes else codes
        nodes_raw = raw.get("nodes")
        nodes: dict[str, Node] = {}
        if not isinstance(nodes_raw, dict) or not nodes_raw:
            self.error(_line_of(raw, "nodes"), "'nodes' must map node names to nodes")
        else:
            for node_id, node_raw in nodes_raw.items():
                node = self.node(str(node_id), node_raw, _line_of(nodes_raw, node_id), codes)
                if node is not None:
                    nodes[node.id] = node
        start = str(raw.get("start", ""))
        if not start:
            self.error(_line_of(raw), "missing 'start' node")
        elif (
            nodes and start not in nodes and isinstance(nodes_raw, dict) and start not in nodes_raw
        ):
            self.error(_line_of(raw, "start"), f"start: unknown node '{start}'")
        messages = self._messages(raw.get("messages"), _line_of(raw, "messages"), codes)
        accompaniment = raw.get("accompaniment", False)
        if not isinstance(accompaniment, bool):
            self.error(_line_of(raw, "accompaniment"), "'accompaniment' must be true or false")
            accompaniment = False
        flow = Flow(
            name=str(raw.get("name", name)),
            path=self.path,
            default_language=default,
            languages=languages,
            start=start,
            nodes=nodes,
            messages=messages,
            accompaniment=accompaniment,
        )
        if isinstance(nodes_raw, dict):
            self.graph(flow, set(map(str, nodes_raw)))
        return flow

    def _messages(self, raw: Any, line: int, codes: list[str]) -> dict[str, dict[str, str]]:
        from ivr_flows.messages import MESSAGES

        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.error(line, "'messages' must map message names to prompts")
            return {}
        result = {}
        for key, value in raw.items():
            where = _line_of(raw, key, line)
            if key not in MESSAGES:
                self.error(
                    where, f"messages: unknown message '{key}' (known: {', '.join(MESSAGES)})"
                )
                continue
            if not isinstance(value, dict):
                self.error(where, f"messages: '{key}' must map languages to text")
                continue
            result[str(key)] = {str(k): str(v) for k, v in value.items()}
        return result

    def graph(self, flow: Flow, declared: set[str]) -> None:
        nodes = flow.nodes
        for node in nodes.values():
            for ref in node.successors():
                if ref not in declared:
                    self.error(node.line, f"node '{node.id}': unknown node '{ref}'")
        if flow.start not in nodes:
            return
        reachable = _reach(nodes, [flow.start])
        for node in nodes.values():
            if node.id not in reachable:
                self.error(node.line, f"node '{node.id}': unreachable from start '{flow.start}'")
        terminals = [n.id for n in nodes.values() if n.type in TERMINAL_TYPES]
        can_finish = _reach(_reverse(nodes), terminals)
        for node_id in sorted(reachable - can_finish, key=lambda n: nodes[n].line):
            node = nodes[node_id]
            self.error(
                node.line,
                f"node '{node_id}': loop with no exit (no route or hangup can be reached)",
            )
        # A cycle through nodes that never wait for the caller would spin in one request.
        passive = {i: n for i, n in nodes.items() if n.type not in INPUT_TYPES}
        for cycle_node in sorted(_cycle_members(passive), key=lambda n: nodes[n].line):
            self.error(
                nodes[cycle_node].line,
                f"node '{cycle_node}': loop with no exit (it cycles without waiting for input)",
            )


def _is_key(value: Any) -> bool:
    return isinstance(value, str | int) and len(str(value)) == 1 and str(value) in "0123456789*#"


def _reach(graph: dict[str, Node] | dict[str, set[str]], starts: list[str]) -> set[str]:
    seen = set(starts)
    todo = deque(starts)
    while todo:
        current = todo.popleft()
        item = graph.get(current)
        if item is None:
            continue
        succ = item.successors() if isinstance(item, Node) else item
        for nxt in succ:
            if nxt in graph and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _reverse(nodes: dict[str, Node]) -> dict[str, set[str]]:
    rev: dict[str, set[str]] = {n: set() for n in nodes}
    for node in nodes.values():
        for ref in node.successors():
            if ref in rev:
                rev[ref].add(node.id)
    return rev


def _cycle_members(nodes: dict[str, Node]) -> set[str]:
    """Nodes on a cycle within ``nodes`` (edges leaving the subset are ignored)."""
    members: set[str] = set()
    for node_id in nodes:
        succ = {s for s in nodes[node_id].successors() if s in nodes}
        if node_id in _reach(
            {k: {s for s in v.successors() if s in nodes} for k, v in nodes.items()}, list(succ)
        ):
            members.add(node_id)
    return members


def load_flow(path: str | Path) -> Flow:
    """Load and validate one flow file; raise :class:`FlowValidationError` listing all errors."""
    path = Path(path)
    shown = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowValidationError([FlowError(shown, 0, f"cannot read file: {exc}")]) from exc
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise FlowValidationError(
            [FlowError(shown, line, f"YAML syntax error: {problem}")]
        ) from exc
    builder = _Builder(shown)
    flow = builder.flow(raw, path.stem)
    if builder.errors or flow is None:
        raise FlowValidationError(sorted(builder.errors, key=lambda e: e.line))
    return flow


def load_flows(directory: str | Path | None = None) -> tuple[dict[str, Flow], list[FlowError]]:
    """Load every ``*.yaml`` flow in ``directory``; invalid ones are returned as errors."""
    directory = Path(directory) if directory else FLOWS_DIR
    flows: dict[str, Flow] = {}
    errors: list[FlowError] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            flow = load_flow(path)
        except FlowValidationError as exc:
            errors.extend(exc.errors)
            continue
        if flow.name in flows:
            errors.append(FlowError(path.name, 1, f"flow name '{flow.name}' is used twice"))
            continue
        flows[flow.name] = flow
    return flows, errors


def check_flows(paths: list[str | Path]) -> list[FlowError]:
    """Validate flow files or folders; return all errors (empty when everything is fine)."""
    errors: list[FlowError] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            errors.extend(load_flows(p)[1])
        else:
            try:
                load_flow(p)
            except FlowValidationError as exc:
                errors.extend(exc.errors)
    return errors
