"""Alembic, configured from code so that ``kefu db upgrade`` works from any directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
    analyze(url)


def analyze(url: str) -> None:
    """Refresh the query planner's statistics (SQLite; PostgreSQL's autovacuum does its own)."""
    from kefu.core.db import make_engine, refresh_planner_statistics

    engine = make_engine(url)
    try:
        refresh_planner_statistics(engine)
    finally:
        engine.dispose()


def revision(url: str, message: str) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True)
