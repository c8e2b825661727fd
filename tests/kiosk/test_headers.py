"""The kiosk keeps its CSP and cannot be framed (issue 7, finding 8)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/", "/c/1/admin/new/0", "/staff/", "/nowhere"])
def test_every_kiosk_reply_refuses_framing_and_sniffing(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
