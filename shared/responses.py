"""What the kiosk and the collector agree a response is, besides the hash (`shared.chain`): the
limits and flags both sides enforce, defined once."""

from __future__ import annotations

#: The longest comment kept, in characters, after cleaning (`shared.text.clean_comment`); the
#: collector's contract refuses a longer one.
COMMENT_MAX = 1000

#: The flag of a response left out of the official figures and kept for audit: set by the kiosk
#: on a burst of identical answers at a counter, by the collector on a kiosk beyond a plausible
#: rate and on poster responses that look stuffed.
SUSPECT_FLAG = "suspect-burst"
