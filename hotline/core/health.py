"""Liveness and readiness for load balancers and ``scripts/run``."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from hotline.core.extensions import db, flows, jobs

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # noqa: ANN201
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, don't raise
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        jobs.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    checks["flows"] = "ok" if not flows.errors else f"{len(flows.errors)} error(s)"
    healthy = checks["database"] == "ok"
    return jsonify(status="ok" if healthy else "degraded", checks=checks), 200 if healthy else 503
