"""SQL fragments more than one capability's queries share."""


def seconds(column: str) -> str:
    """`column` (a timestamptz expression) as whole Unix seconds: bulk paths read this instead of
    building datetimes (`domain.ranking.encode_seconds` takes it)."""
    return f"floor(extract(epoch FROM {column}))::bigint"
