"""The migrations in sql/ build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import hotline  # noqa: F401 - imports every model module via create_app's imports
from hotline import create_app
from hotline.models import Base
from tests.conftest import test_config


def test_migrated_schema_matches_the_models(engine, database_url, redis_url):
    create_app(test_config(database_url, redis_url))  # registers every model module
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
