"""JWT (HS256, `sub` = userId) for players; the admin token for operator routes."""

import hmac
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


def issue_token(secret: str, user_id: str, *, admin: bool = False, ttl: timedelta = timedelta(days=30)) -> str:
    now = datetime.now(UTC)
    claims = {"sub": user_id, "iat": now, "exp": now + ttl}
    if admin:
        claims["admin"] = True
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> dict:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("token has no subject")
    return claims


def is_admin(secret: str, admin_token: str, token: str) -> bool:
    """The static ADMIN_TOKEN, or a player JWT minted with `--admin`."""
    if hmac.compare_digest(token.encode(), admin_token.encode()):
        return True
    try:
        return decode_token(secret, token).get("admin") is True
    except InvalidToken:
        return False


# A stream token opens one player's event stream for reading, and nothing else: its audience makes
# `decode_token` refuse it as a bearer token, and the player JWT (no audience) is refused here.
STREAM_AUDIENCE = "events:read"


def issue_stream_token(secret: str, user_id: str, ttl: timedelta) -> tuple[str, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + ttl
    claims = {"sub": user_id, "iat": now, "exp": expires, "aud": STREAM_AUDIENCE}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def decode_stream_token(secret: str, token: str) -> str:
    """The user whose stream the token opens; InvalidToken if it is not a live stream token."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=STREAM_AUDIENCE, options={"require": ["sub", "exp", "aud"]}
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("token has no subject")
    return claims["sub"]
