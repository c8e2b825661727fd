"""Every rating from every counter reaches the collector exactly once, through outages and crashes.

Real processes throughout: `sipas collector run` and `sipas kiosk run`, killed with SIGKILL where
the point is a crash, and a loopback proxy where the point is a lost or late reply. After each
fault the set of response ids at the collector equals the set taken at the kiosks.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from kiosk.models import OPEN, Response
from tests.factories import free_port
from tests.integration.processes import SIPAS, ServerProcess, staff_queue
from tests.integration.proxy import FaultyProxy

pytestmark = pytest.mark.slow
UNIT = "00004.MC"


def wait_until(check, timeout: float = 30, step: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(params=["sqlite", "postgresql"])
def collector_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'collector.sqlite'}"
        return
    base = os.environ.get("SIPAS_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("SIPAS_TEST_POSTGRES_URL is not set under CI")
        pytest.skip("SIPAS_TEST_POSTGRES_URL not set")
    name = f"sipas_it_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


class Collector:
    def __init__(self, tmp_path, url: str):
        self.db_url = url
        self.port = free_port()
        self.env = {
            **os.environ,
            "SIPAS_COLLECTOR_INSTANCE_PATH": str(tmp_path / "collector"),
            "SIPAS_COLLECTOR_DATABASE_URL": url,
        }
        self.process = ServerProcess(
            ["collector", "run"], self.port, tmp_path / "collector.log", env=self.env
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [*SIPAS, "collector", *args], env=self.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def register(self) -> str:
        return self.cli("kiosks", "register", "--unit", UNIT).split()[-1]

    def ids(self) -> list[uuid.UUID]:
        engine = sa.create_engine(self.db_url)
        with engine.connect() as conn:
            found = [
                uuid.UUID(str(v))
                for v in conn.exec_driver_sql("SELECT uuid FROM responses").scalars()
            ]
        engine.dispose()
        return found

    def chains(self):
        from collector import create_app
        from collector.db import get_session
        from collector.fleet.status import kiosk_statuses

        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": self.db_url,
                "INSTANCE_PATH": self.env["SIPAS_COLLECTOR_INSTANCE_PATH"],
            }
        )
        from collector.db import get_db

        with app.app_context():
            statuses = kiosk_statuses(get_session())
            get_db().dispose()
        return statuses


@pytest.fixture
def collector(tmp_path, collector_db, processes):
    c = Collector(tmp_path, collector_db)
    c.cli("db", "upgrade")
    c.cli("units", "add", "01", "Thành phố Hà Nội", "--kind", "province")
    c.cli(
        "units",
        "add",
        UNIT,
        "Bộ phận Một cửa phường Ba Đình",
        "--parent",
        "01",
        "--kind",
        "one-stop",
    )
    processes.append(c.process)
    return c


class Kiosk:
    def __init__(self, tmp_path, name: str, collector_url: str, token: str):
        self.instance = tmp_path / name
        subprocess.run(
            [
                *SIPAS,
                "kiosk",
                "init",
                "--instance",
                str(self.instance),
                "--office",
                name,
                "--counter",
                f"1:{UNIT}:admin",
                "--counter",
                f"2:{UNIT}:admin,health",
                "--pin",
                "246813",
                "--collector-url",
                collector_url,
                "--collector-token",
                token,
            ],
            check=True,
            capture_output=True,
        )
        self.env = {
            "SIPAS_KIOSK_SYNC_INTERVAL": "0.2",
            "SIPAS_KIOSK_SYNC_BACKOFF_CAP": "1",
            "SIPAS_KIOSK_HEARTBEAT_INTERVAL": "1",
            "SIPAS_KIOSK_GUARD_SECONDS": "0",
        }
        self.log = tmp_path / f"{name}.log"

    def process(self) -> ServerProcess:
        return ServerProcess(
            ["kiosk", "run", "--instance", str(self.instance)], free_port(), self.log, env=self.env
        )

    def take(self, count: int, seed: int = 0) -> None:
        from kiosk import create_app, db
        from kiosk.sample import take_sample_ratings

        app = create_app(instance_path=str(self.instance))
        take_sample_ratings(app, count, seed=seed)
        db.engine(app).dispose()

    def _rows(self, query):
        engine = sa.create_engine(f"sqlite:///{self.instance / 'kiosk.sqlite3'}")
        with sa.orm.Session(engine) as session:
            found = list(session.execute(query))
        engine.dispose()
        return found

    def ids(self) -> list[uuid.UUID]:
        return [r[0] for r in self._rows(sa.select(Response.id).where(Response.status != OPEN))]

    def unsent(self) -> int:
        return self._rows(
            sa.select(sa.func.count()).where(Response.status != OPEN, Response.sent_at.is_(None))
        )[0][0]


def assert_exactly_once(collector: Collector, *kiosks: Kiosk, missing: set = frozenset()):
    at_collector = collector.ids()
    assert len(at_collector) == len(set(at_collector)), "a response was stored twice"
    taken = {i for k in kiosks for i in k.ids()} - set(missing)
    assert set(at_collector) == taken


def test_collector_down_all_day_then_back(tmp_path, collector, processes):
    token = collector.register()
    kiosk = Kiosk(tmp_path, "kiosk-a", collector.url, token)
    kiosk.take(300)
    server = kiosk.process()
    processes.append(server.start())
    # The collector is not running: the kiosk keeps every rating and keeps trying.
    tablet = requests.Session()
    page = tablet.get(f"{server.url}/c/1/admin/new/0", timeout=10)
    assert page.ok
    time.sleep(2.5)
    assert kiosk.unsent() == 300
    assert "unreachable" in server.log_path.read_text()
    assert staff_queue(server.url) == 300
    collector.process.start()
    wait_until(lambda: kiosk.unsent() == 0, what="the backlog to drain")
    assert_exactly_once(collector, kiosk)
    assert len(collector.ids()) == 300
    # The staff page shows the backlog at zero and a successful send.
    assert staff_queue(server.url) == 0


def test_collector_killed_in_the_middle_of_a_batch(tmp_path, collector, processes):
    token = collector.register()
    proxy = FaultyProxy(collector.port)
    kiosk = Kiosk(tmp_path, "kiosk-a", proxy.url, token)
    kiosk.take(450)
    collector.process.start()
    killed = threading.Event()

    def kill_collector():
        collector.process.kill()  # SIGKILL while the batch is in its hands
        killed.set()

    proxy.on_request = kill_collector
    server = kiosk.process()
    processes.append(server.start())
    wait_until(killed.is_set, what="the collector to be killed")
    time.sleep(1.5)
    assert kiosk.unsent() > 0
    collector.process.start()
    wait_until(lambda: kiosk.unsent() == 0, what="the backlog to drain")
    proxy.close()
    assert_exactly_once(collector, kiosk)
    assert len(collector.ids()) == 450


def test_kiosk_killed_in_the_middle_of_a_send(tmp_path, collector, processes):
    token = collector.register()
    proxy = FaultyProxy(collector.port)
    proxy.mode, proxy.hold = "hold-reply", 30
    kiosk = Kiosk(tmp_path, "kiosk-a", proxy.url, token)
    kiosk.take(250)
    processes.append(collector.process.start())
    server = kiosk.process()
    processes.append(server.start())
    # The collector has answered the first batch, the reply is on its way: the kiosk dies.
    wait_until(lambda: len(collector.ids()) >= 200, what="the first batch at the collector")
    server.kill()
    assert kiosk.unsent() == 250
    proxy.mode = "pass"
    restarted = kiosk.process()
    processes.append(restarted.start())
    wait_until(lambda: kiosk.unsent() == 0, what="the backlog to drain")
    proxy.close()
    assert_exactly_once(collector, kiosk)
    assert any(b'"duplicate"' in reply for reply in proxy.replies)


def test_lost_reply_after_commit_is_answered_duplicate(tmp_path, collector, processes):
    token = collector.register()
    proxy = FaultyProxy(collector.port)
    proxy.mode = "drop-reply"
    kiosk = Kiosk(tmp_path, "kiosk-a", proxy.url, token)
    kiosk.take(120)
    processes.append(collector.process.start())
    server = kiosk.process()
    processes.append(server.start())
    wait_until(lambda: len(collector.ids()) == 120, what="the batch to be committed")
    time.sleep(1)
    assert kiosk.unsent() == 120  # no reply ever came back
    proxy.mode = "pass"
    wait_until(lambda: kiosk.unsent() == 0, what="the resend")
    proxy.close()
    assert_exactly_once(collector, kiosk)
    statuses = b"".join(proxy.replies)
    assert statuses.count(b'"duplicate"') == 120 and b'"accepted"' not in statuses


def test_two_kiosks_and_a_replayed_batch_at_once(tmp_path, collector, processes):
    kiosks = [Kiosk(tmp_path, f"kiosk-{n}", collector.url, collector.register()) for n in "ab"]
    for n, kiosk in enumerate(kiosks):
        kiosk.take(400, seed=n)
    processes.append(collector.process.start())
    # A captured batch of kiosk a, replayed by someone else with kiosk a's token at the same time.
    from kiosk import create_app
    from kiosk.outbox import _payload, pending_query

    app = create_app(instance_path=str(kiosks[0].instance))
    engine = sa.create_engine(app.config["DATABASE_URL"])
    with sa.orm.Session(engine) as session:
        replay = [_payload(r) for r in session.scalars(pending_query().limit(200))]
    engine.dispose()
    token_a = app.config["COLLECTOR_TOKEN"]
    servers = [k.process() for k in kiosks]
    for s in servers:
        processes.append(s.start())
    results = []

    def replay_batch():
        for _ in range(3):
            reply = requests.post(
                f"{collector.url}/api/v1/responses",
                json={"responses": replay},
                headers={"Authorization": f"Bearer {token_a}"},
                timeout=30,
            )
            results.append(reply.status_code)

    threads = [threading.Thread(target=replay_batch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until(lambda: all(k.unsent() == 0 for k in kiosks), what="both backlogs to drain")
    assert results == [200] * 6
    assert_exactly_once(collector, *kiosks)
    assert len(collector.ids()) == 800


def test_response_deleted_at_the_kiosk_shows_as_a_gap(tmp_path, collector, processes):
    token = collector.register()
    kiosk = Kiosk(tmp_path, "kiosk-a", collector.url, token)
    kiosk.take(10)
    engine = sa.create_engine(f"sqlite:///{kiosk.instance / 'kiosk.sqlite3'}")
    with engine.begin() as conn:
        deleted = conn.execute(sa.select(Response.id).where(Response.seq == 5)).scalar_one()
        conn.execute(sa.delete(Response).where(Response.seq == 5))
    engine.dispose()
    processes.append(collector.process.start())
    server = kiosk.process()
    processes.append(server.start())
    wait_until(lambda: kiosk.unsent() == 0, what="the backlog to drain")
    assert_exactly_once(collector, kiosk)
    assert deleted not in collector.ids()
    [status] = collector.chains()
    assert status.gaps == [[5, 5]]
    assert status.broken == []
