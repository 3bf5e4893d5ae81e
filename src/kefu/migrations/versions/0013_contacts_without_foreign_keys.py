"""contacts keeps its ids to customers, business lines, categories, users and tickets without foreign keys

``contacts`` is the fact table every call, chat and message lands in, written 10,000 rows at a time by the
telephony system's bulk ingest. Its five foreign keys cost more than half of the insert on PostgreSQL (a
``SELECT … FOR KEY SHARE`` per row and key) and a look-up per row and key on SQLite, while every writer already
has the ids from rows it has just read or written: the bulk path checks codes, agents and tickets for the
whole batch and matches or creates the customers itself; the ORM paths take them from loaded objects. kefu
deletes none of those rows (users are deactivated, tickets closed), so ``ON DELETE SET NULL`` never fired.

SQLite cannot drop a constraint; rebuilding the table would make ``DROP TABLE contacts`` cascade into the
tables that refer to contacts (chats) while foreign keys are on. The table's definition is edited instead, as
SQLite documents for removing a FOREIGN KEY constraint ("Making Other Kinds Of Table Schema Changes",
https://www.sqlite.org/lang_altertable.html#otheralter): the stored rows are unchanged.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-04 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0010'
branch_labels = None
depends_on = None

FOREIGN_KEYS = {  # name: (column, referred table)
    'fk_contacts_agent_id_users': ('agent_id', 'users'),
    'fk_contacts_business_line_id_business_lines': ('business_line_id', 'business_lines'),
    'fk_contacts_category_id_categories': ('category_id', 'categories'),
    'fk_contacts_customer_id_customers': ('customer_id', 'customers'),
    'fk_contacts_ticket_id_tickets': ('ticket_id', 'tickets'),
}


def _clause(name: str) -> str:
    column, table = FOREIGN_KEYS[name]
    return f"CONSTRAINT {name} FOREIGN KEY({column}) REFERENCES {table} (id) ON DELETE SET NULL"


def _edit_sqlite_definition(edit) -> None:
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'contacts'").scalar()
    new = edit(sql)
    if new == sql:
        return
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'contacts'", (new,))
        conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    if problems != "ok":
        raise RuntimeError(f"contacts after editing its definition: {problems}")


def _without_foreign_keys(sql: str) -> str:
    for name in FOREIGN_KEYS:
        sql = sql.replace(f"\n\t{_clause(name)}, ", "")
    if "FOREIGN KEY" in sql:
        raise RuntimeError(f"contacts has foreign keys this migration does not know: {sql}")
    return sql


def _with_foreign_keys(sql: str) -> str:
    anchor = "\n\tCONSTRAINT uq_contacts_channel_external UNIQUE"
    if "FOREIGN KEY" in sql or anchor not in sql:
        raise RuntimeError(f"contacts is not as this migration left it: {sql}")
    return sql.replace(anchor, "".join(f"\n\t{_clause(name)}, " for name in FOREIGN_KEYS) + anchor)


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _edit_sqlite_definition(_without_foreign_keys)
        return
    for name in FOREIGN_KEYS:
        op.drop_constraint(name, 'contacts', type_='foreignkey')


def downgrade() -> None:
    # contacts whose customer, agent, ticket… no longer exists lose that id, as ON DELETE SET NULL would have
    for column, table in FOREIGN_KEYS.values():
        op.execute(sa.text(f"UPDATE contacts SET {column} = NULL WHERE {column} IS NOT NULL "
                           f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE {table}.id = contacts.{column})"))
    if op.get_bind().dialect.name == 'sqlite':
        _edit_sqlite_definition(_with_foreign_keys)
        return
    for name, (column, table) in FOREIGN_KEYS.items():
        op.create_foreign_key(name, 'contacts', table, [column], ['id'], ondelete='SET NULL')
