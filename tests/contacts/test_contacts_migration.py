"""Migration 0013 takes the foreign keys off ``contacts`` (SQLite: by editing the table's definition, so no
table is rebuilt and nothing that refers to contacts is touched) and puts them back on the way down."""

from __future__ import annotations

import sqlite3

from alembic import command

from kefu.migrate import alembic_config


def _foreign_keys(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[2] for row in conn.execute("PRAGMA foreign_key_list(contacts)")}


def test_contacts_lose_their_foreign_keys_and_keep_their_rows(tmp_path):
    path = tmp_path / "kefu.db"
    cfg = alembic_config(f"sqlite:///{path}")
    command.upgrade(cfg, "0010")
    assert _foreign_keys(path) == {"customers", "business_lines", "categories", "users", "tickets"}
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO customers (name, role, phone, created_at, updated_at) "
                     "VALUES ('王芳', 'consumer', '13800138000', '2026-12-04 08:00:00.000000', "
                     "'2026-12-04 08:00:00.000000')")
        conn.execute("INSERT INTO contacts (channel, external_id, direction, customer_id, offered_at, outcome, "
                     "created_at) VALUES ('phone', '呼叫-1', 'inbound', 1, '2026-12-04 08:00:00.000000', "
                     "'answered', '2026-12-04 08:00:00.000000')")

    command.upgrade(cfg, "head")
    assert _foreign_keys(path) == set()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT external_id, customer_id FROM contacts").fetchall() == [("呼叫-1", 1)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.execute("INSERT INTO contacts (channel, external_id, direction, customer_id, offered_at, outcome, "
                     "created_at) VALUES ('phone', '呼叫-2', 'inbound', 999, '2026-12-04 08:05:00.000000', "
                     "'answered', '2026-12-04 08:05:00.000000')")

    command.downgrade(cfg, "0010")
    assert _foreign_keys(path) == {"customers", "business_lines", "categories", "users", "tickets"}
    with sqlite3.connect(path) as conn:
        # the contact naming a customer that does not exist loses that id, as ON DELETE SET NULL would have
        assert conn.execute("SELECT external_id, customer_id FROM contacts ORDER BY id").fetchall() == [
            ("呼叫-1", 1), ("呼叫-2", None)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
