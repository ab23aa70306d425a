"""IVR flows as data: YAML files in this folder, their loader and validator.

A flow is a graph of nodes (greeting, language choice, menus, opening-hours branch, routing
to operators, goto, hangup). :func:`load_flow` parses one file and reports every problem with
file and line; :func:`load_flows` loads a folder; ``rufbereit flows check`` runs both.
"""

from ivr_flows.loader import (
    FLOWS_DIR,
    FlowError,
    FlowValidationError,
    check_flows,
    load_flow,
    load_flows,
)
from ivr_flows.model import Flow, LanguageSpec, Node, NodeType, Option

__all__ = [
    "FLOWS_DIR",
    "Flow",
    "FlowError",
    "FlowValidationError",
    "LanguageSpec",
    "Node",
    "NodeType",
    "Option",
    "check_flows",
    "load_flow",
    "load_flows",
]
