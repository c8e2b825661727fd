"""Access to the manager pages.

A placeholder until manager accounts exist: `login_required` lets a request through only when the
status page is opened on purpose (OPEN_STATUS_PAGE, e.g. on a collector reachable only from the
office network) or under tests. Replace the body of `login_required` when accounts arrive; the
views that use it need not change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app

F = TypeVar("F", bound=Callable)


def login_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not (current_app.config["OPEN_STATUS_PAGE"] or current_app.testing):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
