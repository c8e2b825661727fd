"""Which collector a `sipas collector` command runs against: the instance folder, the app, and
its secret key on first set-up."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask

from collector import InsecureSecretKey, config, create_app
from collector.db import get_db
from collector.i18n import gettext as _
from shared.health import ConfigErrors, database_problem


def default_instance() -> Path:
    """Outside the program's folder: $XDG_DATA_HOME/sipas/collector (~/.local/share/...)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "sipas" / "collector"


def sets_up(command):
    """Marks a command that may run on an instance not set up yet (it sets it up)."""
    command.sipas_sets_up = True
    return command


def build(instance: Path) -> Flask:
    return create_app({"INSTANCE_PATH": str(instance.resolve())})


def app_for_cli(instance: Path) -> Flask:
    """The configured app for the command being run. A command that sets up (`db upgrade`, `run`)
    makes a secret key in the instance folder on first use (the factory itself never writes); any
    other command stops with one line when the configuration or the database is not ready."""
    ctx = click.get_current_context(silent=True)
    setting_up = bool(ctx and getattr(ctx.command, "sipas_sets_up", False))
    try:
        try:
            app = build(instance)
        except InsecureSecretKey as exc:
            if not setting_up or len(exc.problems) > 1:
                raise
            _write_secret_key(exc.instance_path)
            app = build(instance)
    except ConfigErrors as exc:
        raise click.ClickException("\n".join(str(p) for p in exc.problems)) from None
    if not setting_up:
        problem = database_problem(get_db(app).engine, "collector")
        if problem is not None:
            get_db(app).dispose()
            raise click.ClickException(str(problem))
    return app


def _write_secret_key(instance_path: str) -> None:
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, config.SECRET_KEY_FILE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    click.echo(_("Created a secret key in %(path)s") % {"path": path}, err=True)
