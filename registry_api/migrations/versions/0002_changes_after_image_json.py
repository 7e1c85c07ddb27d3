"""changes.after_image: json instead of jsonb on PostgreSQL

The change log is written once and read back whole (the API's feed, the landing's COPY); nothing
queries inside it on the registry side. jsonb parses and re-encodes every after-image on insert:
measured 0.23 -> 0.15 CPU-s per 10,000 change rows with json, the largest single cost of the
batch endpoint and of the simulator's bulk load on PostgreSQL (docs/registry.md). json keeps the
text as written (key order included), validated. SQLite is unchanged (JSON is text there).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
from __future__ import annotations

from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('changes', 'after_image', type_=postgresql.JSON(),
                        existing_type=postgresql.JSONB(), postgresql_using='after_image::json',
                        existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('changes', 'after_image', type_=postgresql.JSONB(),
                        existing_type=postgresql.JSON(), postgresql_using='after_image::jsonb',
                        existing_nullable=False)
