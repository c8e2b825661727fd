"""The five faces of the answer scale as inline SVG, one drawing for the kiosk and the phone.

The mouth and eyes differ from face to face, so colour is never the only cue; each app's CSS
colours them through the `face v1` ... `face v5` classes.
"""

from __future__ import annotations

import functools

from markupsafe import Markup

_MOUTHS = {
    1: "M14 34 Q24 22 34 34",
    2: "M15 33 Q24 27 33 33",
    3: "M15 31 L33 31",
    4: "M15 29 Q24 35 33 29",
    5: "M13 27 Q24 40 35 27 Z",
}
_BROW = '<path class="brow" d="M11 13 L19 16 M37 13 L29 16"/>'


@functools.cache
def face(value: int) -> Markup:
    """The SVG face of an answer value 1-5 (a KeyError for any other)."""
    mouth = _MOUTHS[int(value)]
    return Markup(  # noqa: S704 - constants only, no input reaches this text
        f'<svg class="face v{int(value)}" viewBox="0 0 48 48" aria-hidden="true" '
        f'focusable="false"><circle cx="24" cy="24" r="22"/>'
        f"{_BROW if value == 1 else ''}"
        '<circle class="eye" cx="17" cy="20" r="3"/><circle class="eye" cx="31" cy="20" r="3"/>'
        f'<path class="mouth" d="{mouth}"/></svg>'
    )
