"""Rate limits for the collector, with Flask-Limiter.

One `Limiter` for the whole app; views decorate themselves with `limiter.limit(...)`. Its storage
comes from the configuration (`RATELIMIT_STORAGE_URI`): `memory://` for one process, a Redis URL
such as `redis://127.0.0.1:6379/0` when several collector processes must count together.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: No default limit: each route that needs one says so.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
