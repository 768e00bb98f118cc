"""The Alembic migrations and the ORM models describe the same schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from gateway.store.db import make_engine, migrate
from gateway.store.models import Base


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return list(diff)


def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'schema.db'}") == []


@pytest.mark.postgres
def test_migrations_match_models_on_postgresql(postgres_url: str) -> None:
    assert _diff(postgres_url) == []


def test_migrating_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    assert _diff(url) == [] and _diff(url) == []
    assert (
        create_engine(url)
        .connect()
        .exec_driver_sql("select version_num from alembic_version")
        .scalar()
        == _newest_revision()
    )


def _newest_revision() -> str:
    """The one head of the linear migration history."""
    from alembic.script import ScriptDirectory

    from gateway.store.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"the migration history must stay linear, heads: {heads}"
    return heads[0]
