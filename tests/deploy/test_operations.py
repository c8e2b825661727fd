"""Operations: `check` for each misconfiguration, --instance, one line for a database not set up,
/healthz and /readyz on both apps, JSON logs with request ids and no personal data."""

from __future__ import annotations

import io
import json
import logging

import pytest
from click.testing import CliRunner

from collector import create_app as create_collector
from collector.migrate import upgrade
from kiosk import create_app as create_kiosk
from shared import __version__, logs
from sipas.cli import main
from tests.deploy.tools import REPO

REDIS = "redis://127.0.0.1:6379/4"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A clean environment: no SIPAS_* settings, a home of its own."""
    import os

    for name in list(os.environ):
        if name.startswith("SIPAS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    return monkeypatch


def sipas(*args: str):
    return CliRunner().invoke(main, list(args))


def test_a_command_on_a_database_not_set_up_says_so_in_one_line(env, tmp_path):
    instance = tmp_path / "instance"
    (instance).mkdir()
    (instance / "collector.toml").write_text('SECRET_KEY = "s"\n', "utf-8")
    result = sipas("collector", "--instance", str(instance), "kiosks", "status")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert "chưa được thiết lập" in result.output and "db upgrade" in result.output
    assert sorted(p.name for p in instance.iterdir()) == ["collector.toml"]  # nothing written


def test_collector_commands_default_outside_the_repository(env, tmp_path):
    result = sipas("collector", "kiosks", "status")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (REPO / "instance" / "collector.sqlite").exists()
    result = sipas("collector", "db", "upgrade")
    assert result.exit_code == 0, result.output
    made = tmp_path / "home" / "data" / "sipas" / "collector"
    assert (made / "collector.sqlite").exists() and (made / "secret_key").exists()
    result = sipas("collector", "kiosks", "status")
    assert result.exit_code == 0 and "Chưa có ki-ốt nào" in result.output


def collector_instance(tmp_path, toml: str = 'SECRET_KEY = "s"\n', migrate: bool = True):
    instance = tmp_path / "c"
    instance.mkdir(exist_ok=True)
    (instance / "collector.toml").write_text(toml, "utf-8")
    if migrate:
        upgrade(f"sqlite:///{instance / 'collector.sqlite'}")
    return instance


@pytest.mark.parametrize(
    ("toml", "env_vars", "expected"),
    [
        ("", {}, "khóa bí mật"),
        ('SECRET_KEY = "s"\nQUEUE_URL = "reddis://x"\n', {}, "QUEUE_URL 'reddis://x'"),
        ('SECRET_KEY = "s"\nQUEUE_URL = "redis://127.0.0.1:1/0"\n', {}, "hàng đợi"),
        ('SECRET_KEY = "s"\n', {"SIPAS_COLLECTOR_DATABASE_URL": "nosuch://x"}, "DATABASE_URL"),
        (
            'SECRET_KEY = "s"\n',
            {"SIPAS_COLLECTOR_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"},
            "không trả lời",
        ),
    ],
    ids=["no-secret-key", "bad-queue-url", "queue-unreachable", "bad-database-url", "db-down"],
)
def test_collector_check_names_each_mistake(env, tmp_path, toml, env_vars, expected):
    instance = collector_instance(tmp_path, toml)
    for name, value in env_vars.items():
        env.setenv(name, value)
    result = sipas("collector", "--instance", str(instance), "check")
    assert result.exit_code == 1, result.output
    assert expected in result.output and "Traceback" not in result.output


def test_collector_check_passes_on_a_good_instance_with_redis(env, tmp_path):
    instance = collector_instance(tmp_path, f'SECRET_KEY = "s"\nQUEUE_URL = "{REDIS}"\n')
    result = sipas("collector", "--instance", str(instance), "check")
    assert result.exit_code == 0, result.output
    assert "hàng đợi" in result.output


def test_collector_check_finds_migrations_behind(env, tmp_path):
    instance = collector_instance(tmp_path, migrate=False)
    upgrade(f"sqlite:///{instance / 'collector.sqlite'}", "0001")
    result = sipas("collector", "--instance", str(instance), "check")
    assert result.exit_code == 1 and "0001" in result.output


def test_a_bad_setting_stops_the_factory_with_its_message(env, tmp_path):
    with pytest.raises(RuntimeError) as caught:
        create_collector(
            {"SECRET_KEY": "s", "QUEUE_URL": "http://x", "INSTANCE_PATH": str(tmp_path)}
        )
    assert "QUEUE_URL 'http://x'" in str(caught.value)


def kiosk_instance(tmp_path, **extra) -> str:
    instance = tmp_path / "k"
    args = [
        "kiosk",
        "init",
        "--instance",
        str(instance),
        "--office",
        "Văn phòng",
        "--counter",
        "1:C01:admin",
        "--pin",
        "246813",
    ]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}", value]
    result = sipas(*args)
    assert result.exit_code == 0, result.output
    return str(instance)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"collector_url": "collector.local:5000", "collector_token": "t"}, "collector_url"),
        ({"collector_url": "ftp://x", "collector_token": "t"}, "không phải địa chỉ web"),
        ({"collector_url": "http://127.0.0.1:5000"}, "collector_token"),
    ],
    ids=["no-scheme", "not-http", "no-token"],
)
def test_kiosk_check_names_a_bad_collector_address(env, tmp_path, extra, expected):
    instance = kiosk_instance(tmp_path)
    path = tmp_path / "k" / "kiosk.toml"
    text = path.read_text("utf-8")
    for key, value in extra.items():
        text = text.replace(f'{key} = ""', f'{key} = "{value}"')
    path.write_text(text, "utf-8")
    result = sipas("kiosk", "check", "--instance", instance)
    assert result.exit_code == 1, result.output
    assert expected in result.output and "Traceback" not in result.output


def test_kiosk_check_passes_and_warns_when_the_collector_is_away(env, tmp_path):
    instance = kiosk_instance(tmp_path, collector_url="http://127.0.0.1:1", collector_token="t")
    result = sipas("kiosk", "check", "--instance", instance)
    assert result.exit_code == 0, result.output
    assert "không trả lời" in result.output


def test_kiosk_check_without_kiosk_toml(env, tmp_path):
    result = sipas("kiosk", "check", "--instance", str(tmp_path / "none"))
    assert result.exit_code == 1 and "kiosk init" in result.output


def test_kiosk_backup_is_a_whole_copy_and_keeps_the_newest(env, tmp_path):
    import sqlite3

    instance = kiosk_instance(tmp_path)
    app = create_kiosk(instance_path=instance)
    from kiosk.sample import take_sample_ratings

    take_sample_ratings(app, 5, seed=1, every_minutes=5)
    for _ in range(3):
        result = sipas("kiosk", "backup", "--instance", instance, "--keep", "2")
        assert result.exit_code == 0, result.output
    copies = sorted((tmp_path / "k" / "backups").glob("kiosk-*.sqlite3"))
    assert len(copies) == 2
    source = sqlite3.connect(tmp_path / "k" / "kiosk.sqlite3")
    copy = sqlite3.connect(copies[-1])
    query = "SELECT id, answers FROM responses ORDER BY id"
    try:
        rows = copy.execute(query).fetchall()
        assert len(rows) == 5 and rows == source.execute(query).fetchall()
    finally:
        source.close()
        copy.close()


def test_health_and_readiness_of_the_collector(tmp_path):
    db = tmp_path / "c.sqlite"
    app = create_collector({"TESTING": True, "DATABASE_URL": f"sqlite:///{db}", "QUEUE_URL": REDIS})
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "version": __version__}
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["problems"] == ["database_not_set_up"]
    upgrade(f"sqlite:///{db}", "0001")
    assert client.get("/readyz").get_json()["problems"] == ["migrations_behind"]
    upgrade(f"sqlite:///{db}")
    assert client.get("/readyz").status_code == 200
    app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"
    assert client.get("/readyz").get_json()["problems"] == ["queue_unreachable"]


def test_health_and_readiness_of_the_kiosk(env, tmp_path):
    instance = kiosk_instance(tmp_path)
    client = create_kiosk(instance_path=instance).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "version": __version__}
    assert client.get("/readyz").get_json() == {"status": "ok"}
    (tmp_path / "k" / "kiosk.sqlite3").unlink()
    assert client.get("/readyz").status_code == 503


def test_logs_are_json_lines_with_a_request_id_and_no_personal_data(tmp_path):
    stream = io.StringIO()
    logs.configure("json", stream=stream)
    try:
        db = tmp_path / "c.sqlite"
        upgrade(f"sqlite:///{db}")
        app = create_collector(
            {"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": f"sqlite:///{db}"}
        )
        client = app.test_client()
        answer = client.post(
            "/login?next=/x",
            data={"email": "nguyen.van.a@example.vn", "password": "wrong-password"},
            environ_base={"REMOTE_ADDR": "203.0.113.77"},
            headers={"X-Request-ID": "proxy-given-id-123"},
        )
        assert answer.headers["X-Request-ID"] == "proxy-given-id-123"
        other = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
        assert len(other.headers["X-Request-ID"]) == 32
    finally:
        logging.getLogger().removeHandler(logging.getLogger().handlers[-1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "collector.access"]
    assert [a["route"] for a in access] == ["/login", "/healthz"]
    assert access[0]["request_id"] == "proxy-given-id-123"
    text = stream.getvalue()
    for secret in ("nguyen.van.a", "203.0.113.77", "wrong-password", "next=/x"):
        assert secret not in text


def test_the_version_is_shown_by_the_command(env):
    result = sipas("--version")
    assert result.exit_code == 0
    assert result.output == f"sipas, phiên bản {__version__}\n"


def test_clicks_own_texts_are_vietnamese(env):
    result = sipas("--help")
    assert result.exit_code == 0
    assert "Cách dùng:" in result.output and "Tùy chọn" in result.output
    assert "Hiện hướng dẫn này rồi thoát." in result.output and "Usage:" not in result.output
    result = sipas("kiosk", "check", "--nope")
    assert result.exit_code == 2 and "Lỗi: Không có tùy chọn '--nope'." in result.output
    assert "kiosk check --help' để xem hướng dẫn." in result.output


def test_english_on_request_and_from_the_system_locale(env):
    import os
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if not k.startswith("SIPAS_")}
    english = subprocess.run(
        [sys.executable, "-m", "sipas.cli", "--help"],
        env={**base, "SIPAS_LANG": "en"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Usage:" in english.stdout and "Show this message and exit." in english.stdout
    from shared.health import cli_locale

    env.setenv("LANG", "en_US.UTF-8")
    assert cli_locale(system=True) == "en" and cli_locale() == "vi"
    env.setenv("LANG", "C.UTF-8")
    assert cli_locale(system=True) == "vi"


def test_the_kiosk_install_script_puts_everything_in_place(env, tmp_path):
    import subprocess

    from tests.deploy.tools import DEPLOY, VENV_BIN

    root = tmp_path / "root"
    done = subprocess.run(
        [
            str(DEPLOY / "kiosk" / "install.sh"),
            "--office",
            "Một cửa xã",
            "--counter",
            "1:C01:admin",
            "--pin",
            "246813",
            "--collector-url",
            "https://khaosat.example.gov.vn",
            "--collector-token",
            "t",
        ],
        env={
            **__import__("os").environ,
            "SIPAS_ROOT": str(root),
            "SIPAS_NO_SYSTEM": "1",
            "SIPAS_VENV": str(VENV_BIN.parent),
            "SIPAS_SCREEN_COUNTER": "1",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / "var/lib/sipas-kiosk/kiosk.toml").exists()
    assert (root / "var/lib/sipas-kiosk/kiosk.sqlite3").exists()
    units = sorted(p.name for p in (root / "etc/systemd/system").iterdir())
    assert units == [
        "sipas-kiosk-backup.service",
        "sipas-kiosk-backup.timer",
        "sipas-kiosk-screen.service",
        "sipas-kiosk.service",
    ]
    screen = (root / "etc/sipas/kiosk-screen.env").read_text()
    assert screen == "SIPAS_KIOSK_SCREEN_URL=http://127.0.0.1:5001/c/1\n"
    assert (root / "opt/sipas/kiosk/__init__.py").exists()
    assert not (root / "opt/sipas/.git").exists()


@pytest.mark.parametrize(
    ("url", "good"),
    [
        ("", True),
        ("immediate", True),
        ("redis://127.0.0.1:6379/4", True),
        ("sqlite:///{tmp}/queue.sqlite3", True),
        ("{tmp}/queue.sqlite3", True),
        ("sqlite://relative.db", False),
        ("memory://", False),
        ("reddis://x", False),
        ("http://x", False),
    ],
)
def test_the_queue_check_accepts_what_the_queue_takes(tmp_path, url, good):
    """One rule for QUEUE_URL: what `check` accepts, the worker can open, and nothing else."""
    from collector.tasks import BadQueueURL, check_queue_url, make_huey
    from shared.health import queue_url_problem

    url = url.format(tmp=tmp_path)
    assert (queue_url_problem(url) is None) is good
    if good:
        check_queue_url(url)
        assert make_huey({"QUEUE_URL": url}, str(tmp_path)) is not None
    else:
        with pytest.raises(BadQueueURL):
            check_queue_url(url)
        with pytest.raises(BadQueueURL):
            make_huey({"QUEUE_URL": url}, str(tmp_path))
