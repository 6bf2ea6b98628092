"""schedules: the deadline's next moment, custom deadlines, the Coordinator's contract

Open deadlines written before this revision get their `next_at` from the scheduler at its
next start (schedules.tick.fill_missing), so no reminder they owe is lost.

Revision ID: 0006_schedules
Revises: 0005_surveys
Create Date: 2026-11-22 08:02:19.291710
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006_schedules'
down_revision: str | Sequence[str] | None = "0005_surveys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('coordinator_contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('interim', sa.Boolean(), nullable=False),
    sa.Column('extensions', sa.Integer(), nullable=False),
    sa.Column('not_extended_after', sa.Integer(), nullable=True),
    sa.Column('resigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('leaves_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('coordinator_contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordinator_contract_status'), ['status'], unique=False)

    op.create_table('custom_deadline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.Column('text_en', sa.String(length=4000), nullable=False),
    sa.Column('text_es', sa.String(length=4000), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('contract_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['coordinator_contract.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id', 'step')
    )
    with op.batch_alter_table('contract_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_event_contract_id'), ['contract_id'], unique=False)

    op.create_table('deadline_done',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('custom_id', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=140), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['custom_id'], ['custom_deadline.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('custom_id', 'party')
    )
    with op.batch_alter_table('deadline_done', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_done_custom_id'), ['custom_id'], unique=False)

    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_deadline_next', ['status', 'next_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_next')
        batch_op.drop_column('next_at')

    with op.batch_alter_table('deadline_done', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_done_custom_id'))

    op.drop_table('deadline_done')
    with op.batch_alter_table('contract_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_event_contract_id'))

    op.drop_table('contract_event')
    op.drop_table('custom_deadline')
    with op.batch_alter_table('coordinator_contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordinator_contract_status'))

    op.drop_table('coordinator_contract')
