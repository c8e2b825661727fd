"""Rate limits for the kiosk, with Flask-Limiter, the same way as the collector's.

One `Limiter` for the app; its storage comes from the configuration (`RATELIMIT_STORAGE_URI`):
`memory://` for the one kiosk server process, a Redis URL should several processes serve it.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: No default limit: each route that needs one says so.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
