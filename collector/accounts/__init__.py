"""Manager accounts: login with Flask-Login and a CSRF-protected form, sessions that expire,
lockout after repeated failures, and the `role_required` guard for the report pages.

`init_app` only binds extensions and sets defaults (no I/O), like the rest of `create_app`.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from collector.accounts.service import LoginPolicy, LoginRefused, audit, authenticate
from collector.db import get_session
from collector.models import User

F = TypeVar("F", bound=Callable)

DEFAULTS = {
    #: Wrong passwords in a row before an account is locked, and for how long.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    #: Login attempts from one address per 15 minutes before it must wait (any account).
    "LOGIN_MAX_ATTEMPTS_PER_ADDRESS": 30,
    #: A session ends this many minutes after the last request, and at most after its lifetime.
    "SESSION_IDLE_MINUTES": 60,
    "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=10),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.session_protection = "strong"

bp = Blueprint("accounts", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class AddressThrottle:
    """Counts login attempts per client address in a sliding window (in this process)."""

    def __init__(self, window_s: float = 15 * 60):
        self.window_s = window_s
        self.attempts: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def allow(self, address: str, limit: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self.lock:
            seen = self.attempts.setdefault(address, deque())
            while seen and seen[0] <= now - self.window_s:
                seen.popleft()
            if len(seen) >= limit:
                return False
            seen.append(now)
            return True


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        # Flask has its own defaults for the session keys: replace those, keep configured values.
        if key not in app.config or app.config[key] == Flask.default_config.get(key, object()):
            app.config[key] = value
    if isinstance(app.config["PERMANENT_SESSION_LIFETIME"], int | float):
        app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
            seconds=app.config["PERMANENT_SESSION_LIFETIME"]
        )
    app.extensions["sipas_login_throttle"] = AddressThrottle()
    login_manager.init_app(app)
    app.before_request(_expire_idle_session)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None


def _expire_idle_session():
    """Log out a session idle for longer than SESSION_IDLE_MINUTES."""
    if "_user_id" not in session:
        return None
    now = int(time.time())
    seen = session.get("seen", now)
    if now - seen > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        logout_user()
        session.clear()
        return None
    if now - seen >= 30:
        session["seen"] = now
    return None


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


def _safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme) goes to the reports."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("reports.weekly")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on a right email and password start a session."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    problem = None
    status = 200
    if form.validate_on_submit():
        throttle: AddressThrottle = current_app.extensions["sipas_login_throttle"]
        address = request.remote_addr or "?"
        if not throttle.allow(address, current_app.config["LOGIN_MAX_ATTEMPTS_PER_ADDRESS"]):
            problem = _("Too many attempts from this address. Wait a few minutes and try again.")
            status = 429
        else:
            db = get_session()
            policy = LoginPolicy(
                current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCK_MINUTES"]
            )
            try:
                user = authenticate(db, form.email.data, form.password.data, policy=policy)
            except LoginRefused as refused:
                db.commit()
                status = 401
                if refused.locked:
                    problem = _(
                        "This account is locked after too many wrong passwords. "
                        "Try again in %(minutes)d minutes.",
                        minutes=current_app.config["LOGIN_LOCK_MINUTES"],
                    )
                else:
                    problem = _("Wrong email or password.")
            else:
                db.commit()
                session.clear()
                session.permanent = True
                session["seen"] = int(time.time())
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
        problem = _("Enter your email and password.")
    return render_template("collector/accounts/login.html", form=form, problem=problem), status


@bp.post("/logout")
def logout():
    """End the session."""
    if current_user.is_authenticated:
        db = get_session()
        audit(db, "logout", db.get(User, current_user.id))
        db.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."))
    return redirect(url_for("accounts.login"))
