"""``rufbereit dispatch import-helpers`` and ``add-member``."""

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
    # every error of the row: the number and the postal code
    assert "helfende.csv:3: Handynummer:" in result.output
    assert "helfende.csv:3: Postleitzahl: 00000 ist keine bekannte Postleitzahl." in result.output
    assert "nothing imported (2 error(s) in 1 row(s))" in result.output
    assert session.scalars(select(Helper)).first() is None


def test_add_member_from_the_command_line(app, session, monkeypatch):
    from dispatch.models import Organisation, OrganisationMember
    from hotline.core.models import Role, User

    org = Organisation(name="Tafel Mitte")
    session.add(org)
    session.flush()
    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(
        cli.main,
        [
            "dispatch",
            "add-member",
            str(org.id),
            "max",
            "--name",
            "Max",
            "--password",
            "lang-genug-123",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "member max added to Tafel Mitte (not approved yet)" in result.output
    user = session.scalars(select(User).where(User.username == "max")).one()
    assert (user.name, user.role) == ("Max", Role.MEMBER)
    assert session.get(OrganisationMember, user.id).organisation_id == org.id


def test_add_member_refuses_a_short_password(app, session, monkeypatch):
    from dispatch.models import Organisation
    from hotline.core.models import User

    org = Organisation(name="Tafel Mitte")
    session.add(org)
    session.flush()
    monkeypatch.setattr(cli, "create_app", lambda: app)
    result = CliRunner().invoke(
        cli.main, ["dispatch", "add-member", str(org.id), "max", "--password", "kurz"]
    )
    assert result.exit_code == 1
    assert "passwords need at least 10 characters" in result.output
    assert session.scalars(select(User)).first() is None
