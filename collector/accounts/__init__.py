"""Manager accounts: login with Flask-Login and a CSRF-protected form, sessions that end (idle,
absolute lifetime, logout and password change on the server side), rate limits on failed logins
(Flask-Limiter, in the app's one limiter), and the `role_required` guard for the report pages.

`init_app` only binds extensions and sets defaults (no I/O), like the rest of `create_app`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from collector.accounts.service import (
    LoginRefused,
    audit,
    authenticate,
    end_sessions,
    normalise_email,
)
from collector.db import get_session
from collector.limits import limiter
from collector.models import User

F = TypeVar("F", bound=Callable)

DEFAULTS = {
    #: Login attempts that failed (wrong or unknown email, wrong password), per Flask-Limiter
    #: window: for one email from one address (a short lock of that pair only), for one address
    #: whatever the email (password spraying), for one email from anywhere (a distributed
    #: attack: at worst the account is slowed for the rest of the hour, never locked for good).
    #: A login that succeeds never counts.
    "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "5 per 5 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
    "LOGIN_LIMIT_PER_ACCOUNT": "50 per hour",
    #: A session ends this many minutes after the last request, and at the latest
    #: PERMANENT_SESSION_LIFETIME after the login, however busy it is.
    "SESSION_IDLE_MINUTES": 60,
    "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=10),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    #: The session cookie's Secure flag: None means on, except under testing or debugging (plain
    #: http://localhost); set False only for a collector reached without TLS on purpose.
    "SESSION_COOKIE_SECURE_AUTO": None,
}

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.session_protection = "strong"

bp = Blueprint("accounts", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        # Flask has its own defaults for the session keys: replace those, keep configured values.
        if key not in app.config or app.config[key] == Flask.default_config.get(key, object()):
            app.config[key] = value
    if isinstance(app.config["PERMANENT_SESSION_LIFETIME"], int | float):
        app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
            seconds=app.config["PERMANENT_SESSION_LIFETIME"]
        )
    secure = app.config["SESSION_COOKIE_SECURE_AUTO"]
    if secure is None:
        secure = app.config["SESSION_COOKIE_SECURE"] or not (app.testing or app.debug)
    app.config["SESSION_COOKIE_SECURE"] = bool(secure)
    login_manager.init_app(app)
    app.before_request(_check_session)
    app.before_request(_counter_officers_issue_only)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None


def _check_session():
    """End a session that is idle too long, older than its lifetime, or of an older epoch (the
    user logged out or changed the password since: a copied cookie is worth nothing then)."""
    if "_user_id" not in session:
        return None
    now = int(time.time())
    seen = session.get("seen", 0)
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if (
        now - seen > current_app.config["SESSION_IDLE_MINUTES"] * 60
        or now - session.get("login_at", 0) > lifetime
        or not current_user.is_authenticated
        or session.get("epoch") != current_user.session_epoch
    ):
        logout_user()
        session.clear()
        return None
    if now - seen >= 30:
        session["seen"] = now
    return None


#: What a counter officer may open: the counter page and its slips, their own account, logging
#: in and out, and what anybody may (the phone survey and posters, the methodology, health
#: checks). Anything else, including every page added later, is refused: they issue receipts
#: and read no report.
COUNTER_BLUEPRINTS = frozenset({"receipts", "account", "accounts", "phone", "health"})
COUNTER_ENDPOINTS = frozenset({"static", "index", "reports.methodology"})


def _counter_officers_issue_only():
    """403 for a counter officer anywhere but COUNTER_BLUEPRINTS and COUNTER_ENDPOINTS. The
    JSON APIs authenticate by their own tokens, none of which a counter officer holds."""
    if (
        current_user.is_authenticated
        and current_user.role == "counter"
        and not request.path.startswith("/api/")
        and request.blueprint not in COUNTER_BLUEPRINTS
        and request.endpoint not in COUNTER_ENDPOINTS
    ):
        abort(403)
    return None


def home_page() -> str:
    """Where a logged-in person starts: the counter page for a counter officer, else the report."""
    if current_user.is_authenticated and current_user.role == "counter":
        return url_for("receipts.counter")
    return url_for("reports.report")


def keep_this_session(user: User) -> None:
    """After the user changed their own password every other session has ended; this one goes
    on, stamped with the new epoch."""
    session["epoch"] = user.session_epoch


def role_required(*roles: str) -> Callable[[F], F]:
    """Let through logged-in users with one of `roles` (any role when none is given)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


#: Characters a browser drops or reads as a slash before it resolves a Location.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def is_safe_next(target: str | None) -> bool:
    """Whether `target` is a path on this site: one leading slash, no scheme, no host, and none of
    what browsers forgive (backslashes, tabs, newlines, spaces, a second slash, also encoded)."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return False
    decoded = unquote(unquote(target))
    for text in (target, decoded):
        if text.startswith("//") or _UNSAFE_IN_NEXT.search(text):
            return False
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return False
    return True


def _safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme) goes to the person's
    start page."""
    return target if is_safe_next(target) else home_page()


def _email_key() -> str:
    """The typed email, hashed: the limiter's storage keeps no address anybody typed."""
    email = normalise_email(request.form.get("email", ""))
    return hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]


def _address_key() -> str:
    return get_remote_address() or "?"


def _too_many(_limit) -> Response:
    """The login page again, with the same words whether the email has an account or not."""
    page = render_template(
        "collector/accounts/login.html",
        form=LoginForm(),
        problem=_("Too many failed attempts. Wait a few minutes and try again."),
    )
    return make_response(page, 429)


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _login_limit(config_key: str, key_func) -> Callable[[F], F]:
    return limiter.limit(
        lambda: current_app.config[config_key],
        key_func=key_func,
        methods=["POST"],
        deduct_when=_failed,
        on_breach=_too_many,
        scope=f"login:{config_key}",
    )


@bp.route("/login", methods=["GET", "POST"])
@_login_limit("LOGIN_LIMIT_PER_ACCOUNT_ADDRESS", lambda: f"{_address_key()}|{_email_key()}")
@_login_limit("LOGIN_LIMIT_PER_ADDRESS", _address_key)
@_login_limit("LOGIN_LIMIT_PER_ACCOUNT", _email_key)
def login():
    """Show the login form; on a right email and password start a session."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    problem = None
    status = 200
    if form.validate_on_submit():
        db = get_session()
        try:
            user = authenticate(db, form.email.data, form.password.data)
        except LoginRefused:
            db.commit()
            status = 401
            problem = _("Wrong email or password.")
        else:
            db.commit()
            session.clear()
            session.permanent = True
            now = int(time.time())
            session.update(seen=now, login_at=now, epoch=user.session_epoch)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
        problem = _("Enter your email and password.")
    return render_template("collector/accounts/login.html", form=form, problem=problem), status


@bp.post("/logout")
def logout():
    """End the session, on the server too: a copy of the cookie no longer works."""
    if current_user.is_authenticated:
        db = get_session()
        user = db.get(User, current_user.id)
        audit(db, "logout", user)
        end_sessions(db, user, "logout")
        db.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."))
    return redirect(url_for("accounts.login"))
