"""The tamper-evident hash chain over a kiosk's responses.

Each response's hash is SHA-256 over a canonical JSON encoding of its content plus the previous
response's hash from the same kiosk. Kiosks and the collector both use `response_hash`, so any other
vendor's kiosk can reproduce it from this description:

* the fields in `CHAINED_FIELDS`, with `prev_hash`, as one JSON object (a missing `comment` counts
  as null);
* the fields in `OPTIONAL_CHAINED_FIELDS` (`procedure`, `officer`, `voice`, `listened`) only when
  the response carries
  them with a value: absent or null, they are left out of the object altogether, so a response
  without them hashes exactly as it did before these fields existed;
* keys sorted, no insignificant whitespace (separators "," and ":"), UTF-8, non-ASCII kept as is;
* times exactly as sent (RFC 3339 strings), answers as an object of question code -> integer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

#: The hash of "nothing before": the first response of a kiosk links to it.
GENESIS = "0" * 64

CHAINED_FIELDS = (
    "id",
    "kiosk_seq",
    "questionnaire",
    "questionnaire_version",
    "unit",
    "counter",
    "channel",
    "started_at",
    "submitted_at",
    "complete",
    "answers",
    "reasons",
    "comment",
    "flags",
)

#: Hashed only when present and not null (added after the first kiosks were deployed).
OPTIONAL_CHAINED_FIELDS = ("procedure", "officer", "voice", "listened")

#: The form of a procedure code (mã thủ tục) or an officer code: 1-64 ASCII letters, digits, ".",
#: "-" or "_". No spaces or names: an officer is known by a code, never by name.
CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)


def canonical(response: Mapping[str, Any], prev_hash: str) -> bytes:
    body = {name: response.get(name) for name in CHAINED_FIELDS}
    body.update(
        {name: response[name] for name in OPTIONAL_CHAINED_FIELDS if response.get(name) is not None}
    )
    body["prev_hash"] = prev_hash
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def response_hash(response: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(response, prev_hash)).hexdigest()
