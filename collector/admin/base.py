"""The administration blueprint and the one way its pages change something: check the acting
administrator's scope, call the business function (which writes the audit entry in the
administrator's name), commit, and answer with a message and a redirect, or with the translated
reason the change is refused (nothing stored)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from collector.accounts import role_required
from collector.admin.common import acting_user, scope_of, unit_in_scope
from collector.db import get_session
from collector.i18n import TranslatableError
from collector.models import Unit, User
from shared.i18n import N_

T = TypeVar("T")

bp = Blueprint("admin", __name__)

#: Largest CSV an import page takes (a province's whole unit tree is far smaller).
MAX_CSV_BYTES = 2 * 1024 * 1024


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every page here is for administrators (scoped or not)."""
    return None


def refused(exc: TranslatableError):
    """The change is refused: say why, nothing was stored (the request's session rolls back)."""
    return render_template(
        "collector/admin/refused.html", problem=exc.translate(_), back=request.referrer
    ), 400


def change(
    call: Callable[[Session, User], T],
    then: Callable[[T], ResponseReturnValue],
    *,
    check: Callable[[User], object] | None = None,
    refuse: Callable[[TranslatableError], ResponseReturnValue] | None = None,
) -> ResponseReturnValue:
    """Check the scope (`check` aborts with 403 or 404), run `call(session, actor)`, commit, and
    answer with `then(result)`; a refused change answers 400 with its translated reason (or with
    `refuse(error)`, a page that shows the reason itself)."""
    actor = acting_user()
    if check is not None:
        check(actor)
    session = get_session()
    try:
        result = call(session, actor)
    except TranslatableError as exc:
        return (refuse or refused)(exc)
    session.commit()
    return then(result)


def done(message: str, endpoint: str, anchor: str = "", **values) -> ResponseReturnValue:
    """The change is stored: say so on the next page."""
    flash(message)
    return redirect(url_for(endpoint, **values) + anchor, 303)


def secret_page(template: str, **context) -> ResponseReturnValue:
    """A page that shows a secret once (a token, a temporary password): kept out of every cache
    and the browser history."""
    reply = make_response(render_template(template, **context))
    reply.headers["Cache-Control"] = "no-store"
    return reply


def units_in_scope(actor: User) -> list[Unit]:
    query = sa.select(Unit).order_by(Unit.code)
    scope = scope_of(actor)
    if scope is not None:
        query = query.where(Unit.id.in_(scope))
    return list(get_session().scalars(query))


def active_units_in_scope(actor: User) -> list[Unit]:
    return [u for u in units_in_scope(actor) if u.active]


def parent_in_scope(actor: User, parent: str | None) -> None:
    """A unit may go below a unit the administrator holds; at the top only for administrators of
    the whole tree."""
    if parent is not None:
        unit_in_scope(parent, actor)
    elif scope_of(actor) is not None:
        abort(403)


def whole_tree_only(actor: User) -> None:
    if scope_of(actor) is not None:
        abort(403)


def form_text(name: str) -> str:
    return request.form.get(name, "").strip()


def form_fields(*names: str) -> list[str]:
    """The form's fields as sent ("" for one not sent), in the order named."""
    return [request.form.get(name, "") for name in names]


class UploadError(TranslatableError):
    pass


def uploaded_csv() -> str:
    """The CSV sent as a file or pasted as text, decoded (UploadError: too large, not UTF-8)."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_CSV_BYTES + 1)
    else:
        raw = request.form.get("text", "").encode("utf-8")
    if len(raw) > MAX_CSV_BYTES:
        raise UploadError(
            N_("The file is larger than %(num)d MB."), num=MAX_CSV_BYTES // 1024 // 1024
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError(N_("The file is not UTF-8 text; save the CSV as UTF-8.")) from None
