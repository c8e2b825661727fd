"""`sipas kiosk ...`: set up, run and look after a kiosk server."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import tomllib
from pathlib import Path

import click
from werkzeug.security import generate_password_hash

from shared.i18n import catalogue
from shared.questionnaires import KINDS

#: A shorter staff PIN is refused: with the staff page's rate limit, six digits take months to
#: guess, four only days.
MIN_PIN_DIGITS = 6

log = logging.getLogger("kiosk")
TRANSLATIONS = Path(__file__).parent / "translations"


def _(message: str) -> str:
    """Vietnamese unless SIPAS_KIOSK_BABEL_DEFAULT_LOCALE says otherwise (the command line has no
    request to choose a language from)."""
    locale = os.environ.get("SIPAS_KIOSK_BABEL_DEFAULT_LOCALE", "vi")
    return catalogue(locale, TRANSLATIONS).gettext(message)


instance_option = click.option(
    "--instance",
    envvar="SIPAS_KIOSK_INSTANCE",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("instance/kiosk"),
    show_default=True,
    help=_("Folder with kiosk.toml and the database."),
)


def _build(instance: Path):
    from kiosk import create_app

    return create_app(instance_path=str(instance.resolve()))


def _app(instance: Path):
    """The kiosk app of `instance`; a configuration mistake stops the command with one line each."""
    from shared.health import ConfigErrors

    try:
        return _build(instance)
    except ConfigErrors as exc:
        raise click.ClickException("\n".join(str(p) for p in exc.problems)) from None


@click.group(help=_("The counter kiosk."))
def kiosk() -> None:
    pass


def _counter(spec: str) -> dict:
    """CODE:UNIT[:KIND,KIND][:NAME]"""
    parts = spec.split(":", 3)
    if len(parts) < 2:
        raise click.BadParameter(_("%(spec)r: use CODE:UNIT[:KINDS][:NAME]") % {"spec": spec})
    kinds = parts[2].split(",") if len(parts) > 2 and parts[2] else ["admin"]
    for kind in kinds:
        if kind not in KINDS:
            raise click.BadParameter(
                _("%(spec)r: unknown kind %(kind)r (one of %(kinds)s)")
                % {"spec": spec, "kind": kind, "kinds": ", ".join(KINDS)}
            )
    name = parts[3] if len(parts) > 3 else f"Quầy {parts[0]}"
    return {"code": parts[0], "unit": parts[1], "kinds": kinds, "name": name}


def _read_setup(code: str):
    """The set-up code given, or typed (a QR scanner types it and presses Enter) for `-`."""
    from shared.i18n import gettext as shared_gettext
    from shared.kiosk_setup import SetupCodeError, read_setup

    if code == "-":
        code = click.prompt(_("Scan or paste the kiosk's set-up code"), prompt_suffix=": ")
    try:
        return read_setup(code)
    except SetupCodeError as exc:
        locale = os.environ.get("SIPAS_KIOSK_BABEL_DEFAULT_LOCALE", "vi")
        raise click.BadParameter(shared_gettext(str(exc), locale), param_hint="--setup") from None


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@kiosk.command(
    help=_("Write the instance config (office, counters, units, kinds); create the database.")
)
@instance_option
@click.option(
    "--office",
    default=None,
    help=_("Name of the office, shown on the screens (default with --setup: the unit's name)."),
)
@click.option(
    "--counter",
    "counters",
    multiple=True,
    help=_(
        "CODE:UNIT[:KINDS][:NAME], e.g. 1:H40.22.01:admin or 2:H40.22.01:admin,health:Q2 "
        "(default with --setup: one counter 1 of the kiosk's unit)"
    ),
)
@click.option("--pin", default=None, help=_("Staff PIN (asked for when not given)."))
@click.option("--variant", type=click.Choice(["short", "full"]), default="short")
@click.option("--collector-url", default="", help=_("Where ratings are sent, e.g. https://..."))
@click.option(
    "--collector-token", default="", help=_("Token from `sipas collector kiosks register`.")
)
@click.option(
    "--setup",
    "setup_code",
    default=None,
    help=_(
        "The set-up code of the kiosk's registration page (its QR code as text), or - to read "
        "it from the keyboard or a QR scanner: the collector's address, the token and the unit."
    ),
)
@click.option("--force", is_flag=True, help=_("Overwrite an existing kiosk.toml."))
def init(
    instance, office, counters, pin, variant, collector_url, collector_token, setup_code, force
):
    path = instance / "kiosk.toml"
    if path.exists() and not force:
        raise click.ClickException(_("%(path)s exists; use --force to replace it") % {"path": path})
    if setup_code is not None:
        if collector_url or collector_token:
            raise click.UsageError(
                _(
                    "--setup gives the collector's address and token: leave out --collector-url "
                    "and --collector-token"
                )
            )
        setup = _read_setup(setup_code)
        collector_url, collector_token = setup.collector_url, setup.collector_token
        office = office or setup.office or setup.unit
        counters = counters or (f"1:{setup.unit}:admin",)
    if not office:
        raise click.UsageError(_("Missing option '--office' (or --setup)."))
    if not counters:
        raise click.UsageError(_("Missing option '--counter' (or --setup)."))
    if pin is None:
        pin = click.prompt(_("Staff PIN"), hide_input=True, confirmation_prompt=True)
    if not pin.isdigit() or len(pin) < MIN_PIN_DIGITS:
        raise click.BadParameter(
            _("the PIN needs at least %(num)d digits") % {"num": MIN_PIN_DIGITS},
            param_hint="--pin",
        )
    parsed = [_counter(spec) for spec in counters]
    from shared.db import uuid7

    settings = {
        "office_name": office,
        "kiosk_id": str(uuid7()),
        "secret_key": secrets.token_hex(32),
        "variant": variant,
        "staff_pin_hash": generate_password_hash(pin),
        "collector_url": collector_url,
        "collector_token": collector_token,
    }
    lines = ["# Kiosk settings, written by `sipas kiosk init`. Keep this file private."]
    lines += [f"{key} = {_toml_value(value)}" for key, value in settings.items()]
    for c in parsed:
        lines.append("\n[[counters]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in c.items()]
    instance.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    tomllib.loads(path.read_text("utf-8"))  # what was written reads back
    app = _app(instance)
    _upgrade(app)
    codes = ", ".join(c["code"] for c in parsed)
    click.echo(_("wrote %(path)s; counters: %(codes)s") % {"path": path, "codes": codes})


def _upgrade(app) -> None:
    from shared.migrate import upgrade

    upgrade("kiosk", app.config["DATABASE_URL"])


@kiosk.group(help=_("The kiosk database."))
def db() -> None:
    pass


@db.command("upgrade", help=_("Bring the database schema up to date."))
@instance_option
def db_upgrade(instance):
    _upgrade(_app(instance))
    click.echo(_("database up to date"))


@kiosk.command(
    "close-idle", help=_("Close responses left idle as partial (the server also does this).")
)
@instance_option
def close_idle_command(instance):
    from kiosk.worker import close_idle_once

    app = _app(instance)
    click.echo(_("closed %(n)d idle responses") % {"n": close_idle_once(app)})


@kiosk.command(help=_("Send every pending response to the collector now."))
@instance_option
def sync(instance):
    import requests

    from kiosk.outbox import SendFailed
    from kiosk.worker import drain

    app = _app(instance)
    if not (app.config["COLLECTOR_URL"] and app.config["COLLECTOR_TOKEN"]):
        raise click.ClickException(_("no collector_url and collector_token in kiosk.toml"))
    try:
        sent = drain(app, requests.Session())
    except SendFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_("collector acknowledged %(n)d responses") % {"n": sent})


@kiosk.command(help=_("Serve the kiosk (gunicorn) with its worker: idle closing and sending."))
@instance_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True)
@click.option("--threads", default=8, show_default=True)
@click.option(
    "--read-timeout",
    envvar="SIPAS_SERVER_READ_TIMEOUT",
    default=30.0,
    show_default=True,
    help=_("Seconds a client has to send a whole request."),
)
def run(instance, host, port, threads, read_timeout):
    from kiosk import db
    from kiosk.worker import Worker
    from shared import logs, serve

    app = _app(instance)
    logs.configure(app.config["LOG_FORMAT"])
    _upgrade(app)
    # One process serves (SQLite has one writer), and the background thread lives in it: started
    # with the serving process, stopped with it, started again if the server replaces it.
    stop = threading.Event()
    running: list[Worker] = []

    def post_fork(_server, _worker) -> None:
        db.engine(app).dispose(close=False)  # the parent's connections stay the parent's

    def post_worker_init(_worker) -> None:
        worker = Worker(app, stop)
        worker.start()
        running.append(worker)

    def worker_exit(_server, _worker) -> None:
        stop.set()
        for worker in running:
            worker.join(timeout=5)

    click.echo(_("kiosk serving on %(url)s") % {"url": f"http://{host}:{port}/"})
    serve.serve(
        app,
        host=host,
        port=port,
        threads=threads,
        workers=1,
        name="sipas-kiosk",
        read_timeout=read_timeout,
        post_fork=post_fork,
        post_worker_init=post_worker_init,
        worker_exit=worker_exit,
    )


@kiosk.command(
    help=_("Check kiosk.toml, the database and the collector address without starting anything.")
)
@instance_option
def check(instance):
    from kiosk import config, db
    from shared.health import ConfigErrors

    if not (instance / "kiosk.toml").exists():
        text = _("no kiosk.toml in %(path)s: run `sipas kiosk init`") % {"path": instance}
        click.echo(_("Problem: %(text)s") % {"text": text}, err=True)
        raise SystemExit(1)
    app = None
    try:
        app = _build(instance)
        problems = config.readiness(app)
    except ConfigErrors as exc:
        problems = list(exc.problems)
    finally:
        if app is not None:
            db.engine(app).dispose()
    for problem in problems:
        click.echo(_("Problem: %(text)s") % {"text": problem}, err=True)
    if problems:
        raise SystemExit(1)
    if app.config["COLLECTOR_URL"]:
        warning = _collector_answers(app.config["COLLECTOR_URL"])
        if warning:
            # Not a mistake: the kiosk keeps its ratings and sends them when it can.
            click.echo(_("Warning: %(text)s") % {"text": warning}, err=True)
    click.echo(_("The configuration is valid and the database is up to date."))


def _collector_answers(url: str) -> str | None:
    import requests

    try:
        requests.get(url.rstrip("/") + "/healthz", timeout=3).raise_for_status()
    except requests.RequestException as exc:
        return _("the collector at %(url)s does not answer now (%(error)s)") % {
            "url": url,
            "error": type(exc).__name__,
        }
    return None


@kiosk.command(
    help=_("Copy the kiosk database while it serves (SQLite's online backup), then check the copy.")
)
@instance_option
@click.option(
    "--to",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=_("Folder for the copies (default: backups/ in the instance folder)."),
)
@click.option("--keep", default=14, show_default=True, help=_("How many copies to keep."))
def backup(instance, target, keep):
    from kiosk.backup import BackupFailed, backup_database

    app = _app(instance)
    try:
        path = backup_database(app, target or instance / "backups", keep=keep)
    except BackupFailed as exc:
        raise click.ClickException(_(exc.args[0]) % exc.args[1]) from None
    click.echo(_("backup written to %(path)s") % {"path": path})


@kiosk.group(help=_("Voice packs: the recorded prompts the kiosk reads aloud, one per language."))
def voices() -> None:
    pass


def _problem_lines(problems) -> str:
    locale = os.environ.get("SIPAS_KIOSK_BABEL_DEFAULT_LOCALE", "vi")
    return "\n".join(problem.text(locale) for problem in problems)


@voices.command(
    "check",
    help=_(
        "Check voice packs: every prompt has a clip, each clip is Ogg Opus, not empty, of a "
        "length and loudness within limits. FOLDER: one pack (default: every pack of the kiosk)."
    ),
)
@instance_option
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def voices_check(instance: Path, folder: Path | None) -> None:
    from kiosk.voices import pack_folders
    from shared.voices.check import check_pack

    folders = [folder] if folder else list(pack_folders(instance / "voices").values())
    failed = False
    for pack in folders:
        problems = check_pack(pack)
        if problems:
            failed = True
            click.echo(_("pack %(folder)s:") % {"folder": pack}, err=True)
            click.echo(_problem_lines(problems), err=True)
        else:
            click.echo(_("pack %(folder)s: no problem") % {"folder": pack})
    if failed:
        raise SystemExit(1)


@voices.command(
    "import",
    help=_(
        "Make the voice pack of a language from a folder of recordings (WAV, FLAC or Ogg Opus), "
        "one file per prompt named by its key (scale.5.wav); it replaces the previous pack "
        "only when it passes the check."
    ),
)
@instance_option
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", "language", required=True, help=_("Language code, e.g. bru or pko."))
@click.option(
    "--name", required=True, help=_("The language's name in the language itself, e.g. Pa Kô.")
)
@click.option(
    "--by",
    "recorded_by",
    required=True,
    help=_("Who recorded the clips: a team or an office (no citizen's name)."),
)
def voices_import(instance: Path, folder: Path, language: str, name: str, recorded_by: str):
    import datetime as dt

    from shared.voices.pack import PackRefused, install

    try:
        manifest = install(
            folder,
            instance / "voices",
            language=language,
            name=name,
            recorded_by=recorded_by,
            today=dt.date.today().isoformat(),
        )
    except PackRefused as exc:
        raise click.ClickException(
            _("the pack was not installed; the previous one stays in service:")
            + "\n"
            + _problem_lines(exc.problems)
        ) from None
    click.echo(
        _("pack %(language)s installed: %(n)s clips")
        % {"language": manifest.language, "n": len(manifest.clips)}
    )
