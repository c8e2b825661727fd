"""QR codes for a kiosk's set-up: pure functions returning image bytes."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

from shared.kiosk_setup import setup_payload


def kiosk_setup_payload(
    collector_url: str, token: str, unit: str, kiosk_id: int, office: str | None = None
) -> str:
    """What a kiosk's set-up (`sipas kiosk init --setup`) reads from the code: the keys of its
    kiosk.toml, as JSON (shared.kiosk_setup holds the format both sides use)."""
    return setup_payload(collector_url, token, unit, kiosk_id, office)


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
