"""What the kiosk and the collector agree a response is, besides the hash (`shared.chain`): the
limits and flags both sides enforce, defined once."""

from __future__ import annotations

import re

#: The longest comment kept, in characters, after cleaning (`shared.text.clean_comment`); the
#: collector's contract refuses a longer one.
COMMENT_MAX = 1000

#: The flag of a response left out of the official figures and kept for audit: set by the kiosk
#: on a burst of identical answers at a counter, by the collector on a kiosk beyond a plausible
#: rate and on poster responses that look stuffed.
SUSPECT_FLAG = "suspect-burst"

#: The language a citizen heard the kiosk's survey in (a voice pack's code, `shared.voices`), and
#: whether they pressed "listen": two optional fields of a response, for the report of responses
#: by language and listen use.
VOICE_RE = re.compile(r"[a-z]{2,8}(-[a-z0-9]{1,8})?", re.ASCII)
