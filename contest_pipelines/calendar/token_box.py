"""Google refresh tokens at rest: AES-256-GCM (`cryptography`), one key id per key so keys can rotate.

`CALENDAR_TOKEN_KEYS` lists `id:base64-key` pairs, newest first: new tokens are sealed with the first,
and a token sealed with an older key still opens (and is resealed with the newest on its next use).
The player's id is the associated data, so a sealed token copied onto another player's row does not
open. Nothing here logs or returns a token in an error.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class TokenBoxError(Exception):
    pass


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes  # nonce || ciphertext+tag


class TokenBox:
    def __init__(self, keys: dict[str, bytes]):
        if not keys:
            raise TokenBoxError("no token encryption key configured (CALENDAR_TOKEN_KEYS)")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise TokenBoxError(f"token key {key_id!r} is {len(key)} bytes; AES-256 needs 32")
        self._keys = dict(keys)
        self.current = next(iter(keys))

    @classmethod
    def from_setting(cls, value: str) -> TokenBox:
        """`id:base64key,id2:base64key` (newest first)."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            key_id, _, encoded = item.partition(":")
            if not key_id or not encoded:
                raise TokenBoxError("CALENDAR_TOKEN_KEYS items are `id:base64key`")
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise TokenBoxError(f"token key {key_id!r} is not valid base64") from None
        return cls(keys)

    @staticmethod
    def new_key() -> str:
        return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()

    def seal(self, user_id: str, token: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + AESGCM(self._keys[self.current]).encrypt(nonce, token.encode(), user_id.encode())
        return Sealed(self.current, blob)

    def open(self, user_id: str, sealed: Sealed) -> str:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise TokenBoxError(f"token sealed with key {sealed.key_id!r}, which is no longer configured")
        try:
            nonce, ciphertext = sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:]
            return AESGCM(key).decrypt(nonce, ciphertext, user_id.encode()).decode()
        except InvalidTag:
            raise TokenBoxError("stored token does not open (wrong key or another player's token)") from None

    def is_current(self, sealed: Sealed) -> bool:
        return sealed.key_id == self.current
