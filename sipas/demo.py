"""`sipas demo` (what `make run` starts): a collector and a kiosk on SQLite with sample data.

The first run sets everything up in the demo folder through the same commands an office would use
(`sipas collector ...`, `sipas kiosk init`); later runs start what is there.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from shared.i18n import catalogue
from sipas import TRANSLATIONS_DIR

DEMO_UNIT = "00001.MC"  # a one-stop centre of collector.demo
#: Where the demo keeps the link of one unanswered receipt, to try on a phone (its token is
#: printed after the collector's address of the day).
RECEIPT_FILE = "receipt_url.txt"
DEMO_PIN = "123456"
#: Addresses that mean "every interface of this machine": a phone cannot be sent to them.
WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 - recognised, not bound to
#: A documentation address (RFC 5737): connecting a UDP socket to it sends nothing, it only asks
#: the system which of its addresses would be used to reach the network.
_PROBE = ("203.0.113.1", 9)


def lan_address() -> str | None:
    """This machine's address on its network (what a phone on the same Wi-Fi reaches), or None
    when it has none but loopback."""
    candidates = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_PROBE)
            candidates.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        candidates += [info[4][0] for info in infos]
    except OSError:
        pass
    for address in candidates:
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local):
            return address
    return None


def public_host(host: str) -> str:
    """The host name for links a person opens: the machine's network address when the demo
    listens on every interface, else the address it listens on."""
    if host in WILDCARDS:
        return lan_address() or "127.0.0.1"
    return host


def _local_host(host: str) -> str:
    """Where this machine's own processes reach a server listening on `host`."""
    return "127.0.0.1" if host in WILDCARDS else host


def _receipt_link(root: Path, collector_url: str) -> str:
    """The demo's unanswered receipt at today's collector address (the file may hold a link
    made with another address, by an earlier run)."""
    path = root / RECEIPT_FILE
    if not path.exists():
        return "-"
    token = path.read_text("utf-8").strip().rsplit("/r/", 1)[-1]
    return f"{collector_url}/r/{token}" if token else "-"


def _sipas(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sipas.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise click.ClickException(f"sipas {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _seed_kiosk_ratings(instance: Path, count: int = 40) -> None:
    """Ratings taken at the demo counters, still waiting in the kiosk's outbox."""
    from kiosk import create_app, db
    from kiosk.sample import take_sample_ratings

    app = create_app(instance_path=str(instance))
    take_sample_ratings(app, count, seed=7, every_minutes=60)
    db.engine(app).dispose()


def set_up(root: Path, env: dict[str, str], collector_url: str, kiosk_sends_to: str) -> None:
    _sipas("collector", "db", "upgrade", env=env)
    from collector import create_app
    from collector.db import get_db, get_session
    from collector.demo import (
        seed_demo,  # units, accounts and twelve weeks of ratings
        seed_receipts,
    )

    # Rate limits are for phones, not for the demo's own answers through the phone survey.
    app = create_app({"PUBLIC_URL": collector_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        seed_demo(get_session())
        get_session().commit()
    url = seed_receipts(app)
    with app.app_context():
        get_db().dispose()
    if url:
        (root / RECEIPT_FILE).write_text(url + "\n", encoding="utf-8")
    token = _sipas("collector", "kiosks", "register", "--unit", DEMO_UNIT, env=env).split()[-1]
    _sipas(
        "kiosk",
        "init",
        "--instance",
        str(root / "kiosk"),
        "--office",
        "Bộ phận Một cửa phường Hoàn Kiếm",
        "--counter",
        f"1:{DEMO_UNIT}:admin",
        "--counter",
        f"2:{DEMO_UNIT}:admin,health,education:Quầy 2",
        "--pin",
        DEMO_PIN,
        "--collector-url",
        kiosk_sends_to,
        "--collector-token",
        token,
        env=env,
    )
    _seed_kiosk_ratings(root / "kiosk")


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> bool:
    """Until the collector says it is ready (/readyz), so the kiosk's first send finds it."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(f"{url}/readyz", timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def _server(name: str, host: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "sipas.cli", name, "run", "--host", host, "--port", str(port)]
    return _spawn(command, env)


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A server in a process group of its own, so that `_stop` can end it with the workers it
    forks (Ctrl-C reaches the demo, which stops each server)."""
    return subprocess.Popen(command, env=env, process_group=0)


def _stop(servers: list[subprocess.Popen], grace: float = 10.0) -> None:
    """As Ctrl-C does: SIGINT to each server still running, then, after `grace` seconds, a kill
    of its whole process group; what a server forked and left behind is killed with it."""
    for p in servers:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in servers:
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone: the server ended with every process it forked


def _demo_env(root: Path, lang: str, collector_url: str) -> dict[str, str]:
    """The environment of the demo's processes: both instances under `root`, in `lang`."""
    return {
        **os.environ,
        "SIPAS_COLLECTOR_INSTANCE_PATH": str(root / "collector"),
        "SIPAS_KIOSK_INSTANCE": str(root / "kiosk"),
        "SIPAS_COLLECTOR_BABEL_DEFAULT_LOCALE": lang,
        "SIPAS_KIOSK_BABEL_DEFAULT_LOCALE": lang,
        "SIPAS_COLLECTOR_LOG_FORMAT": "text",
        "SIPAS_KIOSK_LOG_FORMAT": "text",
        # The receipt links, the slips and their QR codes point here.
        "SIPAS_COLLECTOR_PUBLIC_URL": collector_url,
    }


def _start(
    servers: list[subprocess.Popen],
    env: dict[str, str],
    *,
    host: str,
    kiosk_port: int,
    collector_port: int,
    local_collector: str,
    _: Callable[[str], str],
) -> None:
    """Start the collector (and wait until it answers), its worker and the kiosk, each added to
    `servers` as soon as it runs, so that a failure stops the ones before it."""
    servers.append(_server("collector", host, collector_port, env))
    if not _wait_ready(local_collector, servers[0]):
        raise click.ClickException(_("The collector did not start; see its messages above."))
    # The collector's background jobs (exports, counts, silent kiosks, retention) on the
    # default SQLite queue in the collector's instance folder.
    servers.append(
        _spawn([sys.executable, "-m", "sipas.cli", "collector", "worker", "--workers", "1"], env)
    )
    servers.append(_server("kiosk", host, kiosk_port, env))


def _links(
    root: Path, collector_url: str, kiosk_url: str, _: Callable[[str], str]
) -> list[tuple[str, str]]:
    """What the demo offers, each a label and where to open it."""
    from collector.demo import DEMO_ADMIN, DEMO_COUNTER, DEMO_MANAGER, DEMO_PASSWORD

    receipt_url = _receipt_link(root, collector_url)
    return [
        (_("Report:"), f"{collector_url}/reports"),
        (
            "",
            _("log in as %(admin)s (or %(manager)s), password %(password)s")
            % {"admin": DEMO_ADMIN, "manager": DEMO_MANAGER, "password": DEMO_PASSWORD},
        ),
        (_("Methodology:"), f"{collector_url}/methodology"),
        (_("Kiosk status:"), f"{collector_url}/kiosks/"),
        (_("Receipt QR link:"), f"{receipt_url}   " + _("(try it on a phone)")),
        (
            _("Rating slips:"),
            f"{collector_url}/counter   "
            + _("(counter officer %(email)s)") % {"email": DEMO_COUNTER},
        ),
        (_("Counter poster:"), f"{collector_url}/p/{DEMO_UNIT}"),
        (_("Kiosk, counter 1:"), f"{kiosk_url}/c/1"),
        (_("Kiosk, counter 2:"), f"{kiosk_url}/c/2   " + _("(admin, health, education)")),
        (
            _("Kiosk staff page:"),
            f"{kiosk_url}/staff/   " + _("(PIN %(pin)s)") % {"pin": DEMO_PIN},
        ),
        (_("Demo data:"), str(root)),
    ]


def _print_links(lines: list[tuple[str, str]], _: Callable[[str], str]) -> None:
    width = max(len(label) for label, _value in lines) + 2
    click.echo("")
    for label, value in lines:
        click.echo(f"  {label.ljust(width)}{value}")
    click.echo("\n  " + _("Press Ctrl-C to stop.") + "\n")


def run_demo(
    workdir: str, *, host: str, kiosk_port: int, collector_port: int, lang: str = "vi"
) -> None:
    _ = catalogue(lang, TRANSLATIONS_DIR).gettext
    root = Path(workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    shown = public_host(host)
    if host in WILDCARDS and shown == "127.0.0.1":
        click.echo(_("No network address found: a phone cannot reach this demo."), err=True)
    # Links a person opens (on a phone too) use the network address; the demo's own processes
    # talk over loopback, which does not change when the network does.
    collector_url = f"http://{shown}:{collector_port}"
    local_collector = f"http://{_local_host(host)}:{collector_port}"
    env = _demo_env(root, lang, collector_url)
    os.environ.update(
        {k: env[k] for k in ("SIPAS_COLLECTOR_INSTANCE_PATH", "SIPAS_KIOSK_INSTANCE")}
    )
    if not (root / "kiosk" / "kiosk.toml").exists():
        click.echo(_("Setting up the demo in %(path)s") % {"path": root})
        set_up(root, env, collector_url, local_collector)
    servers: list[subprocess.Popen] = []

    def _terminate(signum, frame):
        # SIGTERM (systemd, kill, a test) stops the demo as Ctrl-C does: children first.
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        _start(
            servers,
            env,
            host=host,
            kiosk_port=kiosk_port,
            collector_port=collector_port,
            local_collector=local_collector,
            _=_,
        )
        _print_links(_links(root, collector_url, f"http://{shown}:{kiosk_port}", _), _)
        while all(p.poll() is None for p in servers):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(servers)
