"""leagues, tournaments, guesses, settlement ledger and standings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 20:41:16.089362
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('board_versions',
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('scope_id', sa.Text(), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('scope', 'scope_id', name=op.f('pk_board_versions'))
    )
    op.create_table('leagues',
    sa.Column('league_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('league_id', name=op.f('pk_leagues'))
    )
    op.create_table('standings',
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('scope_id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('points', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('last_scored_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("scope IN ('tournament', 'league')", name=op.f('ck_standings_scope')),
    sa.PrimaryKeyConstraint('scope', 'scope_id', 'user_id', name=op.f('pk_standings'))
    )
    op.create_table('tournaments',
    sa.Column('tournament_id', sa.Text(), nullable=False),
    sa.Column('league_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['league_id'], ['leagues.league_id'], name=op.f('fk_tournaments_league_id_leagues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tournament_id', name=op.f('pk_tournaments'))
    )
    op.create_table('match_results',
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('home_score', sa.Integer(), nullable=True),
    sa.Column('away_score', sa.Integer(), nullable=True),
    sa.Column('observed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.room_id'], name=op.f('fk_match_results_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', name=op.f('pk_match_results'))
    )
    op.create_table('room_results',
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('last_scored_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.room_id'], name=op.f('fk_room_results_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'user_id', name=op.f('pk_room_results'))
    )
    op.create_index('ix_room_results_user', 'room_results', ['user_id'], unique=False)
    op.create_table('room_transitions',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('previous', sa.Text(), nullable=True),
    sa.Column('current', sa.Text(), nullable=False),
    sa.Column('result_hash', sa.Text(), nullable=True),
    sa.Column('settlement_requested', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.room_id'], name=op.f('fk_room_transitions_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_transitions'))
    )
    op.create_table('settlement_ledger',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.Text(), nullable=False),
    sa.Column('result_hash', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('members', sa.Integer(), server_default='0', nullable=False),
    sa.Column('changed_members', sa.Integer(), server_default='0', nullable=False),
    sa.Column('points_total', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('points_delta', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('db_ms', sa.Float(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('dagster_run_id', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'applied') = (version IS NOT NULL)", name=op.f('ck_settlement_ledger_version_iff_applied')),
    sa.CheckConstraint("status IN ('applied', 'skipped', 'failed')", name=op.f('ck_settlement_ledger_status')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.room_id'], name=op.f('fk_settlement_ledger_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_ledger')),
    sa.UniqueConstraint('idempotency_key', name='uq_settlement_ledger_idempotency_key'),
    sa.UniqueConstraint('room_id', 'version', name='uq_settlement_ledger_room_version')
    )
    op.create_table('guesses',
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('home', sa.Integer(), nullable=False),
    sa.Column('away', sa.Integer(), nullable=False),
    sa.Column('guessed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('home >= 0 AND away >= 0', name=op.f('ck_guesses_non_negative')),
    sa.ForeignKeyConstraint(['room_id', 'user_id'], ['room_members.room_id', 'room_members.user_id'], name=op.f('fk_guesses_room_id_room_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'user_id', name=op.f('pk_guesses'))
    )
    op.add_column('rooms', sa.Column('tournament_id', sa.Text(), nullable=True))
    op.add_column('rooms', sa.Column('kind', sa.Text(), server_default='contest', nullable=False))
    op.create_foreign_key(op.f('fk_rooms_tournament_id_tournaments'), 'rooms', 'tournaments', ['tournament_id'], ['tournament_id'], ondelete='SET NULL')
    op.create_check_constraint(op.f('ck_rooms_kind'), 'rooms', "kind IN ('contest', 'prediction')")
    


def downgrade() -> None:
    op.drop_table('board_versions')
    op.drop_constraint(op.f('ck_rooms_kind'), 'rooms', type_='check')
    op.drop_constraint(op.f('fk_rooms_tournament_id_tournaments'), 'rooms', type_='foreignkey')
    op.drop_column('rooms', 'kind')
    op.drop_column('rooms', 'tournament_id')
    op.drop_table('guesses')
    op.drop_table('settlement_ledger')
    op.drop_table('room_transitions')
    op.drop_index('ix_room_results_user', table_name='room_results')
    op.drop_table('room_results')
    op.drop_table('match_results')
    op.drop_table('tournaments')
    op.drop_table('standings')
    op.drop_table('leagues')
    
