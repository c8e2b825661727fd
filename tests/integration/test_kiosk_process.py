"""The kiosk as a real process: killed and restarted, it loses nothing and leaves no gap."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from kiosk.models import Response
from tests.factories import free_port
from tests.integration.processes import SIPAS, HttpTablet, ServerProcess

pytestmark = pytest.mark.slow
CODES = ["Q0", "A0", "B0", "C0", "D0", "E0"]


@pytest.fixture
def kiosk_instance(tmp_path):
    import subprocess

    instance = tmp_path / "kiosk"
    subprocess.run(
        [
            *SIPAS,
            "kiosk",
            "init",
            "--instance",
            str(instance),
            "--office",
            "UBND xã Minh Khai",
            "--counter",
            "1:H40.22.01:admin",
            "--counter",
            "2:H40.22.01:admin",
            "--pin",
            "246813",
        ],
        check=True,
        capture_output=True,
    )
    return instance


def kiosk_process(instance, tmp_path, **env) -> ServerProcess:
    settings = {
        "SIPAS_KIOSK_GUARD_SECONDS": "0",
        "SIPAS_KIOSK_IDLE_TIMEOUT": "2",
        "SIPAS_KIOSK_REASONS_IDLE_TIMEOUT": "2",
    }
    settings.update(env)
    return ServerProcess(
        ["kiosk", "run", "--instance", str(instance)],
        free_port(),
        tmp_path / "kiosk.log",
        env=settings,
    )


def rows(instance) -> list[Response]:
    engine = sa.create_engine(f"sqlite:///{instance / 'kiosk.sqlite3'}")
    with sa.orm.Session(engine) as session:
        found = list(session.scalars(sa.select(Response).order_by(Response.started_at)))
    engine.dispose()
    return found


def test_abandoned_survey_is_closed_as_partial_by_the_server(kiosk_instance, tmp_path, processes):
    server = kiosk_process(kiosk_instance, tmp_path)
    processes.append(server.start())
    tablet = HttpTablet(server.url)
    tablet.start()
    assert tablet.tap("Q0", 4).ok
    assert tablet.tap("A0", 5).ok
    # The tablet dies here: nobody will ever post again.
    [response] = rows(kiosk_instance)
    assert response.status == "open"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and rows(kiosk_instance)[0].status == "open":
        time.sleep(0.25)
    [response] = rows(kiosk_instance)
    assert response.status == "partial"
    assert response.answers == {"Q0": 4, "A0": 5}
    assert response.seq == 1 and response.hash


def test_sequence_has_no_gaps_across_kills_and_restarts(kiosk_instance, tmp_path, processes):
    taken = 0
    for _round in range(3):
        server = kiosk_process(kiosk_instance, tmp_path, SIPAS_KIOSK_IDLE_TIMEOUT="60")
        processes.append(server.start())
        for counter in ("1", "2"):
            tablet = HttpTablet(server.url, counter)
            tablet.start()
            for code in CODES:
                assert tablet.tap(code, 5).ok
            taken += 1
        # One more person is half-way through when the power goes.
        tablet = HttpTablet(server.url, "1")
        tablet.start()
        assert tablet.tap("Q0", 3).ok
        taken += 1
        server.kill()
    server = kiosk_process(
        kiosk_instance,
        tmp_path,
        SIPAS_KIOSK_IDLE_TIMEOUT="1",
        SIPAS_KIOSK_REASONS_IDLE_TIMEOUT="1",
    )
    processes.append(server.start())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(r.seq is None for r in rows(kiosk_instance)):
        time.sleep(0.25)
    server.stop()
    found = rows(kiosk_instance)
    assert len(found) == taken == 9
    assert sorted(r.seq for r in found) == list(range(1, taken + 1))
    assert sum(r.status == "partial" for r in found) == 3
    # Every link of the chain holds.
    by_seq = {r.seq: r for r in found}
    for seq in range(2, taken + 1):
        assert by_seq[seq].prev_hash == by_seq[seq - 1].hash
