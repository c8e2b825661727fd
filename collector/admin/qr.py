"""QR codes for a kiosk's set-up: pure functions returning image bytes."""

from __future__ import annotations

import io
import json

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

#: Marks the payload as a SIPAS kiosk set-up, and its layout's version.
SETUP_FORMAT = "sipas-kiosk-setup/1"


def kiosk_setup_payload(collector_url: str, token: str, unit: str, kiosk_id: int) -> str:
    """What a kiosk's set-up reads from the code: the keys of its kiosk.toml, as JSON."""
    return json.dumps(
        {
            "format": SETUP_FORMAT,
            "collector_url": collector_url,
            "collector_token": token,
            "unit": unit,
            "kiosk_id": kiosk_id,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=6, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str) -> bytes:
    """The text as a QR code in a PNG image (needs Pillow, e.g. for a printed set-up sheet)."""
    out = io.BytesIO()
    _code(text).make_image().save(out, format="PNG")
    return out.getvalue()


def qr_svg(text: str) -> bytes:
    """The text as a QR code in an SVG image (one path; scales without blur)."""
    out = io.BytesIO()
    _code(text).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(out)
    return out.getvalue()
