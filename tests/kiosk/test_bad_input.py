"""Bad input gets a clear 4xx in the citizen's language, stores nothing, and the kiosk goes on."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest
import sqlalchemy as sa

from kiosk import db
from tests import factories
from tests.factories import Tablet


def _fresh_token(tablet: Tablet) -> str:
    return tablet.token


def _kiosk_still_works(app, client):
    tablet = Tablet(client)
    before = len(factories.stored(app))
    tablet.start()
    tablet.tap("Q0", 5)
    assert len(factories.stored(app)) == before + 1


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"Q0": "6"}, "out of range"),
        ({"Q0": "-1"}, "out of range"),
        ({"Q0": "five"}, "not a number"),
        ({"Q0": ["4", "5"]}, "two answers to one question"),
        ({"Z9": "4"}, "unknown question code"),
        ({"A0": "4"}, "question of another screen"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(app, client, data, why, stored):
    tablet = Tablet(client)
    tablet.start()
    response = tablet.post(data, expect=400)
    assert "Không đọc được màn hình này" in response.get_data(as_text=True), why
    assert stored() == []
    _kiosk_still_works(app, client)


def test_missing_csrf_token_is_refused(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    tablet.post({"Q0": "5"}, expect=400, with_token=False)
    assert stored() == []


def test_forged_token_is_refused(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    forged = tablet.token[:-4] + ("AAAA" if not tablet.token.endswith("AAAA") else "BBBB")
    tablet.post({"Q0": "5", "csrf_token": forged}, expect=400)
    assert stored() == []


def test_token_of_another_screen_is_refused(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    token_for_first_screen = tablet.token
    tablet.open("/c/1/admin/new/1")
    tablet.post({"A0": "5", "csrf_token": token_for_first_screen}, expect=400)
    assert stored() == []


def test_replayed_first_tap_is_refused(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    token = tablet.token
    tablet.tap("Q0", 5)
    replay = client.post("/c/1/admin/new/0", data={"Q0": "5", "csrf_token": token})
    assert replay.status_code == 409
    assert len(stored()) == 1


def test_replayed_post_to_an_ended_response_is_refused(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    tablet.tap("Q0", 5)
    url, token = tablet.url, tablet.token
    for code in ("A0", "B0", "C0", "D0", "E0"):
        tablet.tap(code, 5)
    [before] = stored()
    replay = client.post(url, data={"A0": "1", "csrf_token": token})
    assert replay.status_code == 409
    [after] = stored()
    assert after.answers == before.answers and after.hash == before.hash


def test_unknown_counter_and_kind_are_404_in_vietnamese(client):
    for url in ("/c/99", "/c/99/admin/new/0", "/c/1/health/new/0", "/c/1/admin/new/42"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "Trang này không tồn tại." in page.get_data(as_text=True)
    post = client.post("/c/99/admin/new/0", data={"Q0": "5"})
    assert post.status_code == 404


def test_unknown_response_is_404(client):
    page = client.get("/c/1/r/01890a5d-ac96-774b-bcce-b302099a8057/1")
    assert page.status_code == 404


def test_body_too_large_is_413(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    response = tablet.post({"Q0": "5", "comment": "x" * 20_000}, expect=413)
    assert "Dữ liệu gửi lên quá lớn." in response.get_data(as_text=True)
    assert stored() == []


def test_comment_over_1000_characters_is_refused(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    tablet.tap("Q0", 1)
    for _ in range(5):
        tablet.skip()
    assert tablet.url.endswith("/reasons")
    tablet.post({"comment": "y" * 1001, "next": "1"}, expect=400)
    [response] = stored()
    assert response.comment is None and response.status == "open"


def test_unknown_reason_is_refused(app, client, stored):
    tablet = Tablet(client)
    tablet.start()
    tablet.tap("Q0", 1)
    for _ in range(5):
        tablet.skip()
    tablet.post({"reasons": ["bribe-free-coffee"], "next": "1"}, expect=400)
    assert stored()[0].reasons == []


def test_english_error_page_when_the_citizen_chose_english(client):
    page = client.get("/c/99?lang=en")
    assert page.status_code == 404
    assert "This page does not exist." in page.get_data(as_text=True)


@pytest.mark.parametrize("config_overrides", [{"SQLITE_BUSY_TIMEOUT_MS": 50}])
def test_locked_database_shows_an_error_and_stores_nothing(app, client, tmp_path, caplog, stored):
    tablet = Tablet(client)
    tablet.start()
    blocker = sa.create_engine(f"sqlite:///{tmp_path / 'kiosk.sqlite3'}")
    with blocker.connect() as conn:
        conn.exec_driver_sql("BEGIN EXCLUSIVE")
        response = tablet.post({"Q0": "5"}, expect=503)
        conn.exec_driver_sql("ROLLBACK")
    blocker.dispose()
    assert "Không lưu được đánh giá" in response.get_data(as_text=True)
    assert "database is locked" in caplog.text
    assert stored() == []
    _kiosk_still_works(app, client)


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 1 MB file system (tmpfs) that a test can fill up; needs root, as in CI."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


def test_full_disk_shows_an_error_and_stores_nothing(tiny_disk, migrated_template, caplog):
    from kiosk import create_app
    from tests.factories import kiosk_config

    shutil.copy(migrated_template, tiny_disk / "kiosk.sqlite3")
    app = create_app(kiosk_config(tiny_disk), instance_path=str(tiny_disk))
    client = app.test_client()
    tablet = Tablet(client)
    tablet.start()
    tablet.tap("Q0", 5)  # the database, its WAL and shared memory are open and in use
    assert len(factories.stored(app)) == 1
    tablet.start()
    fd = os.open(tiny_disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    response = tablet.post({"Q0": "1"}, expect=503)
    assert "Không lưu được đánh giá" in response.get_data(as_text=True)
    assert "full" in caplog.text or "I/O" in caplog.text
    (tiny_disk / "filler").unlink()
    rows = factories.stored(app)
    assert [r.answers for r in rows] == [{"Q0": 5}]
    db.engine(app).dispose()
