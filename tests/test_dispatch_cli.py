"""``rufbereit dispatch import-helpers``."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from dispatch.models import Helper
from hotline import cli

HEADER = "name,phone,postal_code,activities,consent_at\n"


def run(app, monkeypatch, tmp_path, text: str):  # noqa: ANN001, ANN201
    monkeypatch.setattr(cli, "create_app", lambda: app)
    path = tmp_path / "helfende.csv"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(cli.main, ["dispatch", "import-helpers", str(path)])


def test_import_helpers_from_the_command_line(app, session, monkeypatch, tmp_path):
    result = run(
        app, monkeypatch, tmp_path, HEADER + "Ada,0151 11111111,10115,shopping,2026-01-02\n"
    )
    assert result.exit_code == 0, result.output
    assert "1 helper(s) imported" in result.output
    assert [h.name for h in session.scalars(select(Helper))] == ["Ada"]


def test_a_bad_row_imports_nothing_and_exits_1(app, session, monkeypatch, tmp_path):
    text = (
        HEADER
        + "Ada,0151 11111111,10115,shopping,2026-01-02\nBen,0151 2,00000,shopping,2026-01-02\n"
    )
    result = run(app, monkeypatch, tmp_path, text)
    assert result.exit_code == 1
    assert "helfende.csv:3:" in result.output and "nothing imported (1 error(s))" in result.output
    assert session.scalars(select(Helper)).first() is None
