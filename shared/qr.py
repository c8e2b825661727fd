"""QR codes as bytes (PNG and SVG) with the `qrcode` package: pure functions, no I/O.

Error correction M (about 15 % of the code may be damaged), the smallest version that fits.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
import qrcode.image.svg
from qrcode.image.pure import PyPNGImage

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
#: One fixed mask: every reader decodes any of the eight, and trying all eight to pick the one
#: with the lowest penalty costs most of the encoding time.
MASK_PATTERN = 0


def _code(data: str, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECTION, box_size=box_size, border=4, mask_pattern=MASK_PATTERN
    )
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_version(data: str) -> int:
    """The QR version (1-40) `data` needs at level M: the size of the data only, without drawing
    the matrix (the version `make()` then uses is the same)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION)
    code.add_data(data)
    return code.best_fit()


def qr_png(data: str, box_size: int = 6) -> bytes:
    """The QR code of `data` as a PNG image."""
    buf = io.BytesIO()
    _code(data, box_size).make_image(image_factory=PyPNGImage).save(buf)
    return buf.getvalue()


def qr_svg(data: str, box_size: int = 10) -> bytes:
    """The QR code of `data` as a standalone SVG image (one path, white background)."""
    buf = io.BytesIO()
    image = _code(data, box_size).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    image.save(buf)
    return buf.getvalue()
