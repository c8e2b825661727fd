"""Access to the kiosk status page.

It lists every kiosk of the collector, so it is for administrators (role `admin`), who see every
unit anyway; or it can be opened on purpose with OPEN_STATUS_PAGE on a collector reachable only
from the office network, and it is open under tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from collector.accounts import role_required

F = TypeVar("F", bound=Callable)


def login_required(view: F) -> F:
    admins_only = role_required("admin")(view)

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_app.config["OPEN_STATUS_PAGE"] or current_app.testing:
            return view(*args, **kwargs)
        return admins_only(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
