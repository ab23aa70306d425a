"""Extensions, created unbound here and wired to an app in ``create_app``."""

from __future__ import annotations

import logging

from flask import Flask, current_app

from hotline.core.db import Database
from hotline.core.queues import Jobs
from hotline.core.telephony import Telephony, build_telephony
from ivr_flows import Flow, FlowError, load_flows

log = logging.getLogger(__name__)

db = Database()
jobs = Jobs()


class Flows:
    """The validated flows of an app. Invalid files are logged and left out, so a line that
    uses one is routed to its fallback number instead of breaking calls."""

    def __init__(self) -> None:
        self.flows: dict[str, Flow] = {}
        self.errors: list[FlowError] = []

    def init_app(self, app: Flask) -> None:
        self.flows, self.errors = load_flows(app.config.get("FLOWS_DIR") or None)
        for error in self.errors:
            log.error("flow not loaded: %s", error)
        app.extensions["rufbereit.flows"] = self

    def get(self, name: str) -> Flow | None:
        return self.flows.get(name)


flows = Flows()


def init_telephony(app: Flask, telephony: Telephony | None = None) -> None:
    app.extensions["rufbereit.telephony"] = telephony or build_telephony(app.config)


def telephony() -> Telephony:
    return current_app.extensions["rufbereit.telephony"]
