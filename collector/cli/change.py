"""The one way a `sipas collector` command changes something: run the business function (which
writes the audit entry), commit, and give its result; a refused change stops the command with
the translated reason (exit code 1) and nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from collector.db import get_session
from collector.i18n import TranslatableError
from collector.i18n import gettext as _

T = TypeVar("T")


def fail(exc: TranslatableError) -> click.ClickException:
    """The translated reason, as click's error line."""
    return click.ClickException(exc.translate(_))


def change(call: Callable[[Session], T], *, commit: bool = True) -> T:
    """`call(session)`, then commit (or, with commit=False, a dry run: roll back)."""
    session = get_session()
    try:
        result = call(session)
    except TranslatableError as exc:
        raise fail(exc) from None
    if commit:
        session.commit()
    else:
        session.rollback()
    return result
