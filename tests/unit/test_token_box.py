"""AES-256-GCM sealing of refresh tokens: rotation by key id, bound to the player, readable refusals."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest_pipelines.calendar.token_box import Sealed, TokenBox, TokenBoxError

OLD, NEW = TokenBox.new_key(), TokenBox.new_key()


@given(user=st.text(min_size=1, max_size=40), token=st.text(min_size=16, max_size=300))  # a token is long
def test_what_is_sealed_opens_for_the_same_player_only(user, token):
    box = TokenBox.from_setting(f"k1:{OLD}")
    sealed = box.seal(user, token)
    assert box.open(user, sealed) == token and token.encode() not in sealed.blob
    with pytest.raises(TokenBoxError, match="another player's"):
        box.open(user + "x", sealed)


def test_rotation_keeps_old_tokens_readable_and_seals_new_ones_with_the_newest_key():
    old_box = TokenBox.from_setting(f"k1:{OLD}")
    sealed = old_box.seal("u1", "rt")
    rotated = TokenBox.from_setting(f"k2:{NEW}, k1:{OLD}")
    assert rotated.open("u1", sealed) == "rt" and not rotated.is_current(sealed)
    assert rotated.seal("u1", "rt").key_id == "k2"
    with pytest.raises(TokenBoxError, match="no longer configured"):
        TokenBox.from_setting(f"k2:{NEW}").open("u1", sealed)


@pytest.mark.parametrize(
    ("setting", "reason"),
    [("", "no token encryption key"), ("k1", "id:base64key"), ("k1:%%%", "not valid base64"), ("k1:AAAA", "32")],
)
def test_bad_key_settings_say_what_is_wrong(setting, reason):
    with pytest.raises(TokenBoxError, match=reason):
        TokenBox.from_setting(setting)


def test_a_tampered_blob_does_not_open():
    box = TokenBox.from_setting(f"k1:{OLD}")
    sealed = box.seal("u1", "rt")
    with pytest.raises(TokenBoxError):
        box.open("u1", Sealed("k1", sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1])))
