"""registry_settings: facts about the registry its readers need

One row per setting. ``synthetic_scale`` says the registry holds simulated activity at that
share of the national volume (set by the bulk simulator); the warehouse lands the table with the
geography and scales the population it divides rates by, and the dashboards flag synthetic data
(docs/simulator.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'registry_settings',
        sa.Column('setting', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('setting'),
    )


def downgrade() -> None:
    op.drop_table('registry_settings')
