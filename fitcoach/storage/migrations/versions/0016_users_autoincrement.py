"""users: never hand a deleted person's id to someone new (SQLite AUTOINCREMENT)

Without AUTOINCREMENT, SQLite gives a new row the highest id + 1: once the person with the
highest id is deleted (/delete), the next new person gets their id, and with it anything
still keyed by it outside the database (a memory collection, a media folder, a cache). With
AUTOINCREMENT an id is never used twice. PostgreSQL's sequences never go back: nothing to do.

SQLite cannot add AUTOINCREMENT to a table: the table is rebuilt (copied, dropped, renamed).
This runs with foreign keys off (a migration's own connection; the application turns them on
for its connections), so dropping the old table cascades to nothing, and the other tables'
references to ``users`` name the rebuilt one. Were foreign keys on (or the table had a
column this migration does not know), the rebuild is skipped.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "id, name, sex, birth_year, height_cm, weight_kg, timezone, unit_system, goal, "
    "created_at, updated_at"
)


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("sex", sa.String(length=16), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("unit_system", sa.String(length=16), nullable=False),
        sa.Column("goal", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        return
    ddl = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'users'").scalar()
    if ddl is None or ("AUTOINCREMENT" in str(ddl).upper()) == autoincrement:
        return
    present = {row[1] for row in bind.exec_driver_sql("PRAGMA table_info(users)")}
    if present != {name.strip() for name in COLUMNS.split(",")}:
        return  # a column this rebuild does not know: keep the table as it is
    op.create_table(
        "_users_rebuilt",
        *_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sqlite_autoincrement=autoincrement,
    )
    op.execute(f"INSERT INTO _users_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM users")
    op.drop_table("users")
    op.rename_table("_users_rebuilt", "users")


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
