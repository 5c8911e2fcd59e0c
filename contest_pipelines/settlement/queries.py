"""What the API reads of the settlement: every attempt of a room, newest first."""

import sqlalchemy as sa

from contest_pipelines.db.tables import settlement_ledger as ledger


def attempts(conn: sa.Connection, room_id: str) -> list[sa.Row]:
    return conn.execute(sa.select(ledger).where(ledger.c.room_id == room_id).order_by(ledger.c.id.desc())).all()
