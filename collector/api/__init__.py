"""The ingest API, `/api/v1`: JSON in and out, kiosk bearer tokens, exempt from CSRF."""

from collector.api.views import bp

__all__ = ["bp"]
