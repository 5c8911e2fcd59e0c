"""players, rooms, sync queue and detections

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 20:17:03.440215
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('players',
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('cf_handle', sa.Text(), nullable=True),
    sa.Column('display_name', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_players'))
    )
    op.create_table('rooms',
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Text(), server_default='scheduled', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_rooms_window')),
    sa.PrimaryKeyConstraint('room_id', name=op.f('pk_rooms'))
    )
    op.create_table('teams',
    sa.Column('team_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_teams'))
    )
    op.create_table('detections',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('problem_id', sa.Text(), nullable=False),
    sa.Column('cf_submission_id', sa.BigInteger(), nullable=False),
    sa.Column('cf_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('verdict', sa.Text(), server_default='OK', nullable=False),
    sa.Column('points_awarded', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.UUID(as_uuid=False), nullable=True),
    sa.Column('raw', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.room_id'], name=op.f('fk_detections_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['players.user_id'], name=op.f('fk_detections_user_id_players'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_detections')),
    sa.UniqueConstraint('room_id', 'cf_submission_id', name='uq_detections_room_submission'),
    sa.UniqueConstraint('room_id', 'user_id', 'problem_id', name='uq_detections_room_user_problem')
    )
    op.create_table('room_members',
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.room_id'], name=op.f('fk_room_members_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], name=op.f('fk_room_members_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['players.user_id'], name=op.f('fk_room_members_user_id_players'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'user_id', name=op.f('pk_room_members'))
    )
    op.create_table('room_problems',
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('problem_id', sa.Text(), nullable=False),
    sa.Column('points', sa.Integer(), server_default='0', nullable=False),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.room_id'], name=op.f('fk_room_problems_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'problem_id', name=op.f('pk_room_problems'))
    )
    op.create_table('sync_requests',
    sa.Column('id', sa.UUID(as_uuid=False), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('room_id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Text(), nullable=True),
    sa.Column('cf_handle', sa.Text(), nullable=False),
    sa.Column('problem_id', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), server_default='queued', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rechecks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('generation', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('position', sa.Integer(), server_default='1', nullable=False),
    sa.Column('dagster_run_id', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'detected', 'failed', 'dead')", name=op.f('ck_sync_requests_status')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.room_id'], name=op.f('fk_sync_requests_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['players.user_id'], name=op.f('fk_sync_requests_user_id_players'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_requests'))
    )
    op.create_index('ix_sync_requests_due', 'sync_requests', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'queued'"))
    op.create_index('ix_sync_requests_handle_running', 'sync_requests', [sa.text('lower(cf_handle)')], unique=False, postgresql_where=sa.text("status = 'running'"))
    op.create_index('ix_sync_requests_handle_due', 'sync_requests', [sa.text('lower(cf_handle)')], unique=False, postgresql_where=sa.text("status = 'queued'"))
    op.create_index('ix_sync_requests_run', 'sync_requests', ['dagster_run_id'], unique=False, postgresql_where=sa.text("status = 'running'"))
    op.create_index('ix_sync_requests_waiting', 'sync_requests', ['created_at'], unique=False, postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.create_index('ix_sync_requests_user', 'sync_requests', ['user_id', 'created_at'], unique=False)
    op.create_table('team_members',
    sa.Column('team_id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['players.user_id'], name=op.f('fk_team_members_user_id_players'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members'))
    )
    


def downgrade() -> None:
    
    op.drop_table('team_members')
    op.drop_index('ix_sync_requests_user', table_name='sync_requests')
    op.drop_index('ix_sync_requests_waiting', table_name='sync_requests')
    op.drop_index('ix_sync_requests_run', table_name='sync_requests', postgresql_where=sa.text("status = 'running'"))
    op.drop_index('ix_sync_requests_handle_due', table_name='sync_requests')
    op.drop_index('ix_sync_requests_handle_running', table_name='sync_requests')
    op.drop_index('ix_sync_requests_due', table_name='sync_requests', postgresql_where=sa.text("status = 'queued'"))
    op.drop_table('sync_requests')
    op.drop_table('room_problems')
    op.drop_table('room_members')
    op.drop_table('detections')
    op.drop_table('teams')
    op.drop_table('rooms')
    op.drop_table('players')
    
