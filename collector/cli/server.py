"""`sipas collector check`, `run`, `db upgrade` and `worker`: set up, check and serve the
collector and its background jobs."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext

from collector import config
from collector.cli.app import build, sets_up
from collector.db import get_db
from collector.i18n import gettext as _
from collector.migrate import upgrade
from shared import logs, serve
from shared.health import ConfigErrors


@click.command(
    help=_("Check the configuration, the database and the queue without starting anything."),
)
@click.pass_context
def check(ctx: click.Context) -> None:
    info = ctx.ensure_object(ScriptInfo)
    app = None
    try:
        if "instance" in info.data:
            app = build(info.data["instance"])
        else:
            app = info.load_app()
        problems = list(config.readiness(app))
    except ConfigErrors as exc:
        problems = list(exc.problems)
    finally:
        if app is not None:
            get_db(app).dispose()
    for problem in problems:
        click.echo(_("Problem: %(text)s") % {"text": problem}, err=True)
    if problems:
        ctx.exit(1)
    click.echo(
        _("The configuration is valid; the database is up to date%(queue)s.")
        % {"queue": _(" and the queue answers") if app.config.get("QUEUE_URL") else ""}
    )


def _migrate() -> None:
    app = current_app
    os.makedirs(app.instance_path, exist_ok=True)
    upgrade(app.config["DATABASE_URL"])


@sets_up
@click.command(help=_("Bring the database up to date, then serve the collector (gunicorn)."))
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option("--port", default=5000, show_default=True, help=_("Port to listen on."))
@click.option("--threads", default=4, show_default=True, help=_("Worker threads."))
@click.option("--workers", default=1, show_default=True, help=_("Worker processes."))
@click.option(
    "--read-timeout",
    envvar=serve.READ_TIMEOUT_ENV,
    default=serve.READ_TIMEOUT,
    show_default=True,
    help=_("Seconds a client has to send a whole request."),
)
@with_appcontext
def run(host: str, port: int, threads: int, workers: int, read_timeout: float) -> None:
    _migrate()
    app = current_app._get_current_object()
    logs.configure(app.config["LOG_FORMAT"])
    click.echo(_("Collector listening on http://%(host)s:%(port)d/") % {"host": host, "port": port})

    def post_fork(_server, _worker) -> None:
        # The parent migrated through the app's engine: the child opens connections of its own.
        get_db(app).engine.dispose(close=False)

    serve.serve(
        app,
        host=host,
        port=port,
        threads=threads,
        workers=workers,
        name="sipas-collector",
        read_timeout=read_timeout,
        post_fork=post_fork,
    )


db = AppGroup("db", help=_("The database."))


@sets_up
@db.command("upgrade", help=_("Create or update the tables (run the migrations)."))
def db_upgrade() -> None:
    _migrate()
    click.echo(_("The database is up to date."))


@click.command(
    help=_(
        "Run the background jobs (exports, counts, silent kiosks, retention, the Monday mail) "
        "from the queue named by QUEUE_URL, with the scheduler of the periodic ones."
    )
)
@click.option("--workers", default=2, show_default=True, help=_("Jobs run at the same time."))
@click.option(
    "--once",
    type=click.Choice(["refresh-counts", "silent-kiosks", "retention", "weekly-mail"]),
    help=_("Run this periodic job once, now, in this process, and exit."),
)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help=_("Also run the periodic jobs (only one worker of a queue should)."),
)
@with_appcontext
def worker(workers: int, once: str | None, scheduler: bool) -> None:
    import logging

    from collector.tasks import BadQueueURL, get_queue

    app = current_app._get_current_object()
    try:
        huey = get_queue(app)
    except BadQueueURL as exc:
        raise click.ClickException(str(exc)) from None
    if once:
        huey.sipas_jobs[once].call_local()
        click.echo(_("Done."))
        return
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo(_("Worker started on the queue %(name)s.") % {"name": huey.name}, err=True)
    huey.create_consumer(
        workers=workers, worker_type="thread", periodic=scheduler, check_worker_health=True
    ).run()
