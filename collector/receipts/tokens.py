"""Receipt tokens and the receipt key: no database, no Flask.

The token is 14 bytes in URL-safe base64 (19 characters): 8 bytes derived from the unit and the
dossier code under the receipt key, then the first 6 bytes of an HMAC of those 8 under the same
key. A forged or altered token fails the HMAC before the database is asked (`token_signed`); the
dossier code cannot be read back from it; and issuing the same dossier again gives the same token
without storing the token or the code (the row keeps the HMAC of the unit and dossier code, and the
SHA-256 of the token).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

NONCE_BYTES = 8
MAC_BYTES = 6
TOKEN_CHARS = 19
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{19}$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def receipt_key(secret_key: str | bytes, receipt_secret: str | None = None) -> bytes:
    """The key for dossier HMACs and tokens: RECEIPT_SECRET when set, else derived from the app's
    secret key (changing either invalidates every receipt code issued before)."""
    base = receipt_secret or secret_key
    raw = base.encode("utf-8") if isinstance(base, str) else base
    return hmac.new(raw, b"sipas-receipts-v1", hashlib.sha256).digest()


def _mac(key: bytes, label: bytes, data: bytes) -> bytes:
    return hmac.new(key, label + data, hashlib.sha256).digest()


def _unit_dossier(unit: str, dossier: str) -> bytes:
    # A unit code never holds a newline (collector.units.CODE_RE): the pair reads back one way.
    return f"{unit}\n{dossier}".encode()


def dossier_hmac(key: bytes, unit: str, dossier: str) -> str:
    """The key of a dossier of a unit: the HMAC of both (a code means nothing without its unit)."""
    return _mac(key, b"unit-dossier:", _unit_dossier(unit, dossier)).hex()


def make_token(key: bytes, unit: str, dossier: str) -> str:
    """The token of a unit's dossier: always the same for the same pair."""
    return _token_from_nonce(key, _mac(key, b"unit-nonce:", _unit_dossier(unit, dossier)))


def legacy_dossier_hmac(key: bytes, dossier: str) -> str:
    """The key of a receipt issued before the unit was part of it (the dossier code alone)."""
    return _mac(key, b"dossier:", dossier.encode("utf-8")).hex()


def legacy_token(key: bytes, dossier: str) -> str:
    """The token printed on a receipt issued before the unit was part of the key."""
    return _token_from_nonce(key, _mac(key, b"nonce:", dossier.encode("utf-8")))


def _token_from_nonce(key: bytes, material: bytes) -> str:
    nonce = material[:NONCE_BYTES]
    raw = nonce + _mac(key, b"token:", nonce)[:MAC_BYTES]
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def token_signed(key: bytes, token: str) -> bool:
    """Whether the token is one this collector made (no database needed)."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return False
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        return False
    if len(raw) != NONCE_BYTES + MAC_BYTES:
        return False
    # Re-encoding must give the same text: otherwise the last character's spare bits were changed.
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != token:
        return False
    nonce, mac = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    return hmac.compare_digest(mac, _mac(key, b"token:", nonce)[:MAC_BYTES])
