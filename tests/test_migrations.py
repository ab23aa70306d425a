"""The migrations in sql/ build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import hotline  # noqa: F401 - imports every model module via create_app's imports
from hotline import create_app
from hotline.core.models import Base
from tests.conftest import test_config


def test_migrated_schema_matches_the_models(engine, database_url, redis_url):
    create_app(test_config(database_url, redis_url))  # registers every model module
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_0004_keeps_organisations_drops_their_tokens_and_downgrades(tmp_path):
    """Organisation tokens give way to member accounts (on a scratch SQLite file)."""
    from sqlalchemy import create_engine, inspect, text

    from hotline.core.migrations import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, revision="0003")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dispatch_organisations (name, token_hash, approved_at, created_at) "
                "VALUES ('Tafel', 'abc', '2026-01-01 10:00:00', '2026-01-01 09:00:00')"
            )
        )
    upgrade(url)
    columns = {c["name"] for c in inspect(engine).get_columns("dispatch_organisations")}
    assert "token_hash" not in columns and "rejected_at" in columns
    assert inspect(engine).get_pk_constraint("dispatch_organisation_members")[
        "constrained_columns"
    ] == ["user_id"]  # one organisation per account
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, approved_at FROM dispatch_organisations")).all()
    assert [(name, str(approved)) for name, approved in rows] == [("Tafel", "2026-01-01 10:00:00")]
    downgrade(url, "0003")
    assert not inspect(engine).has_table("dispatch_organisation_members")
    engine.dispose()


def test_0013_adds_the_caller_blocks_and_downgrades(tmp_path):
    """Blocks and their audit trail come with 0013 and go with its downgrade (scratch file)."""
    from sqlalchemy import create_engine, inspect

    from hotline.core.migrations import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, revision="0013")
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"caller_blocks", "caller_block_audit"} <= tables
    downgrade(url, "0008")
    tables = set(inspect(engine).get_table_names())
    assert not tables & {"caller_blocks", "caller_block_audit"} and "calls" in tables
    engine.dispose()
