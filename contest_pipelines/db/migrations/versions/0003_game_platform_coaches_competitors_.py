"""game platform: coaches, competitors, solves, sync state, totals, runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 21:12:05.625384
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('challenge_solves',
    sa.Column('syned_user_id', sa.Text(), nullable=False),
    sa.Column('challenge_solve_id', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('challenge_id', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('category', sa.Text(), nullable=True),
    sa.Column('points', sa.Integer(), server_default='0', nullable=False),
    sa.Column('solved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('raw', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("source IN ('odl', 'flash_ctf')", name=op.f('ck_challenge_solves_source')),
    sa.PrimaryKeyConstraint('syned_user_id', 'challenge_solve_id', name=op.f('pk_challenge_solves'))
    )
    op.create_index('ix_challenge_solves_solved_at', 'challenge_solves', ['solved_at'], unique=False)
    op.create_table('coaches',
    sa.Column('coach_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('email', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('coach_id', name=op.f('pk_coaches'))
    )
    op.create_table('flash_ctf_events',
    sa.Column('syned_user_id', sa.Text(), nullable=False),
    sa.Column('event_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('challenges_solved', sa.Integer(), server_default='0', nullable=False),
    sa.Column('points_earned', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('syned_user_id', 'event_id', name=op.f('pk_flash_ctf_events'))
    )
    op.create_index('ix_flash_ctf_events_event', 'flash_ctf_events', ['event_id'], unique=False)
    op.create_table('player_totals',
    sa.Column('syned_user_id', sa.Text(), nullable=False),
    sa.Column('challenges_completed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total_score', sa.Integer(), server_default='0', nullable=False),
    sa.Column('monthly_ctf_challenges', sa.Integer(), server_default='0', nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('syned_user_id', name=op.f('pk_player_totals'))
    )
    op.create_table('sync_runs',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('job', sa.Text(), nullable=False),
    sa.Column('dagster_run_id', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('processed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('with_new_data', sa.Integer(), server_default='0', nullable=False),
    sa.Column('skipped', sa.Integer(), server_default='0', nullable=False),
    sa.Column('api_calls', sa.Integer(), server_default='0', nullable=False),
    sa.Column('errors', sa.Integer(), server_default='0', nullable=False),
    sa.Column('duration_ms', sa.Float(), nullable=True),
    sa.Column('dry_run', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('batch', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    op.create_index('ix_sync_runs_started', 'sync_runs', ['started_at'], unique=False)
    op.create_table('sync_state',
    sa.Column('syned_user_id', sa.Text(), nullable=False),
    sa.Column('last_odl_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_flash_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('needs_totals_refresh', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('activity_tier', sa.Text(), server_default='active', nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_due_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('syned_user_id', name=op.f('pk_sync_state'))
    )
    op.create_index('ix_sync_state_due', 'sync_state', ['next_due_at'], unique=False)
    op.create_index('ix_sync_state_refresh', 'sync_state', ['syned_user_id'], unique=False, postgresql_where='needs_totals_refresh')
    op.create_table('onboarding_requests',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('coach_id', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), server_default='pending', nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'done', 'refused', 'failed')", name=op.f('ck_onboarding_requests_status')),
    sa.ForeignKeyConstraint(['user_id'], ['players.user_id'], name=op.f('fk_onboarding_requests_user_id_players'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_requests'))
    )
    op.create_index('ix_onboarding_requests_pending', 'onboarding_requests', ['requested_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.add_column('players', sa.Column('coach_id', sa.Text(), nullable=True))
    op.add_column('players', sa.Column('first_name', sa.Text(), nullable=True))
    op.add_column('players', sa.Column('last_name', sa.Text(), nullable=True))
    op.add_column('players', sa.Column('email', sa.Text(), nullable=True))
    op.add_column('players', sa.Column('status', sa.Text(), server_default='pending', nullable=False))
    op.add_column('players', sa.Column('game_platform_id', sa.Text(), nullable=True))
    op.add_column('players', sa.Column('game_platform_sync_error', sa.Text(), nullable=True))
    op.add_column('players', sa.Column('game_platform_synced_at', sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint(op.f('uq_players_game_platform_id'), 'players', ['game_platform_id'])
    op.create_check_constraint(op.f('ck_players_status'), 'players', "status IN ('pending', 'profile', 'compliance', 'complete')")
    op.create_foreign_key(op.f('fk_players_coach_id_coaches'), 'players', 'coaches', ['coach_id'], ['coach_id'], ondelete='SET NULL')
    op.add_column('team_members', sa.Column('game_platform_synced_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('teams', sa.Column('coach_id', sa.Text(), nullable=True))
    op.add_column('teams', sa.Column('division', sa.Text(), nullable=True))
    op.add_column('teams', sa.Column('affiliation', sa.Text(), nullable=True))
    op.add_column('teams', sa.Column('game_platform_id', sa.Text(), nullable=True))
    op.add_column('teams', sa.Column('game_platform_synced_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('teams', sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('teams', sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False))
    op.create_foreign_key(op.f('fk_teams_coach_id_coaches'), 'teams', 'coaches', ['coach_id'], ['coach_id'], ondelete='SET NULL')
    


def downgrade() -> None:
    
    op.drop_constraint(op.f('fk_teams_coach_id_coaches'), 'teams', type_='foreignkey')
    op.drop_column('teams', 'updated_at')
    op.drop_column('teams', 'deleted_at')
    op.drop_column('teams', 'game_platform_synced_at')
    op.drop_column('teams', 'game_platform_id')
    op.drop_column('teams', 'affiliation')
    op.drop_column('teams', 'division')
    op.drop_column('teams', 'coach_id')
    op.drop_column('team_members', 'game_platform_synced_at')
    op.drop_constraint(op.f('fk_players_coach_id_coaches'), 'players', type_='foreignkey')
    op.drop_constraint(op.f('ck_players_status'), 'players', type_='check')
    op.drop_constraint(op.f('uq_players_game_platform_id'), 'players', type_='unique')
    op.drop_column('players', 'game_platform_synced_at')
    op.drop_column('players', 'game_platform_sync_error')
    op.drop_column('players', 'game_platform_id')
    op.drop_column('players', 'status')
    op.drop_column('players', 'email')
    op.drop_column('players', 'last_name')
    op.drop_column('players', 'first_name')
    op.drop_column('players', 'coach_id')
    op.drop_index('ix_onboarding_requests_pending', table_name='onboarding_requests', postgresql_where=sa.text("status = 'pending'"))
    op.drop_table('onboarding_requests')
    op.drop_index('ix_sync_state_refresh', table_name='sync_state', postgresql_where='needs_totals_refresh')
    op.drop_index('ix_sync_state_due', table_name='sync_state')
    op.drop_table('sync_state')
    op.drop_index('ix_sync_runs_started', table_name='sync_runs')
    op.drop_table('sync_runs')
    op.drop_table('player_totals')
    op.drop_index('ix_flash_ctf_events_event', table_name='flash_ctf_events')
    op.drop_table('flash_ctf_events')
    op.drop_table('coaches')
    op.drop_index('ix_challenge_solves_solved_at', table_name='challenge_solves')
    op.drop_table('challenge_solves')
    
