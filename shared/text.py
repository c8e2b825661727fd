"""One normalisation for every text a citizen or a device sends (comments, counter labels, officer
and procedure codes), used by the kiosk and by the collector alike.

* `normalise_text`: Unicode NFC; line ends made "\\n"; every other control character (C0, DEL, C1),
  lone surrogate and NUL removed. Spreadsheets, PostgreSQL and the hash chain all accept the result.
* `redact_personal` (shared.redaction): phone numbers, e-mail addresses, identity, bank-account,
  passport and plate numbers, names, street addresses and dates of birth replaced by a marker, so
  that a comment never keeps them.
* `clean_comment`: both, in that order; what the kiosk stores and the collector keeps.

Plain functions of `str`: no Flask, no database (see tests/shared/test_purity.py).
"""

from __future__ import annotations

import re
import unicodedata

from shared.redaction import redact_personal

#: Every control character but newline (tab and carriage return are handled before), lone
#: surrogates (which JSON allows but UTF-8 cannot encode), and invisible characters that can hide
#: or reorder text (zero-width, bidirectional controls).
_CONTROL_RE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u2028-\u202e\u2066-\u2069]"
)


def has_nul(text: str) -> bool:
    return "\x00" in text


def normalise_text(text: str) -> str:
    """NFC, newlines as "\\n", tabs as spaces, other control characters and NUL removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL_RE.sub("", text)
    return unicodedata.normalize("NFC", text)


def clean_comment(text: str | None, max_length: int | None = None) -> str | None:
    """A citizen's comment as it may be stored: normalised, personal data redacted, stripped;
    None when nothing is left."""
    if text is None:
        return None
    text = redact_personal(normalise_text(text)).strip()
    if max_length is not None:
        text = text[:max_length].rstrip()
    return text or None
