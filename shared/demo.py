"""`sipas demo` (what `make run` starts): a collector and a kiosk on SQLite with sample data.

The first run sets everything up in the demo folder through the same commands an office would use
(`sipas collector ...`, `sipas kiosk init`); later runs start what is there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

DEMO_UNIT = "00001.MC"  # a one-stop centre of collector.demo
#: Where the demo keeps the link of one unanswered receipt, to try on a phone.
RECEIPT_FILE = "receipt_url.txt"
DEMO_PIN = "1234"


def _sipas(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
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


def set_up(root: Path, env: dict[str, str], collector_url: str) -> None:
    click.echo(f"setting up the demo in {root}")
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
        collector_url,
        "--collector-token",
        token,
        env=env,
    )
    _seed_kiosk_ratings(root / "kiosk")


def run_demo(workdir: str, *, host: str, kiosk_port: int, collector_port: int) -> None:
    root = Path(workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    collector_url = f"http://{host}:{collector_port}"
    env = {
        **os.environ,
        "SIPAS_COLLECTOR_INSTANCE_PATH": str(root / "collector"),
        "SIPAS_KIOSK_INSTANCE": str(root / "kiosk"),
    }
    os.environ.update(
        {k: env[k] for k in ("SIPAS_COLLECTOR_INSTANCE_PATH", "SIPAS_KIOSK_INSTANCE")}
    )
    if not (root / "kiosk" / "kiosk.toml").exists():
        set_up(root, env, collector_url)
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared.cli",
                "collector",
                "run",
                "--host",
                host,
                "--port",
                str(collector_port),
            ],
            env=env,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared.cli",
                "kiosk",
                "run",
                "--host",
                host,
                "--port",
                str(kiosk_port),
            ],
            env=env,
        ),
    ]
    kiosk_url = f"http://{host}:{kiosk_port}"
    receipt_file = root / RECEIPT_FILE
    receipt_url = receipt_file.read_text("utf-8").strip() if receipt_file.exists() else "-"
    from collector.demo import DEMO_ADMIN, DEMO_MANAGER, DEMO_PASSWORD

    click.echo(
        "\n".join(
            [
                "",
                f"  Weekly report:    {collector_url}/reports/weekly",
                f"    log in as {DEMO_ADMIN} (or {DEMO_MANAGER}), password {DEMO_PASSWORD}",
                f"  Methodology:      {collector_url}/methodology",
                f"  Kiosk status:     {collector_url}/kiosks/",
                f"  Receipt QR link:  {receipt_url}   (try it on a phone)",
                f"  Counter poster:   {collector_url}/p/{DEMO_UNIT}",
                f"  Kiosk, counter 1: {kiosk_url}/c/1",
                f"  Kiosk, counter 2: {kiosk_url}/c/2   (admin, health, education)",
                f"  Kiosk staff page: {kiosk_url}/staff/   (PIN {DEMO_PIN})",
                f"  Demo data:        {root}",
                "",
                "  Press Ctrl-C to stop.",
                "",
            ]
        )
    )
    try:
        while all(p.poll() is None for p in servers):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in servers:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in servers:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
