"""The shared MetaData (with its constraint naming convention) and column helpers of every table."""

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TZ = sa.DateTime(timezone=True)
NOW = sa.text("now()")


class Xid8(sa.types.UserDefinedType):
    """PostgreSQL's 64-bit transaction id (`pg_current_xact_id()`): what a checkpoint that cannot miss a
    late commit is made of (docs/achievements.md)."""

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "xid8"


# Stamps each source row an achievement processor reads with its writer's transaction id.
def write_xid_column() -> sa.Column:
    return sa.Column("write_xid", Xid8, nullable=False, server_default=sa.text("pg_current_xact_id()"))
