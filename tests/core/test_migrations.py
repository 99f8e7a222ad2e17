"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot import db
from bot.model import Base


def _diff(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)


def test_sqlite_schema_matches_the_models(app):
    assert _diff(db.engine()) == []


def test_postgresql_schema_matches_the_models(pg_url):
    engine = db.make_engine(pg_url)
    try:
        assert _diff(engine) == []
    finally:
        engine.dispose()
