"""The product as an operator installs it: a wheel built from a fresh clone (no `make`, no compiled
catalogue anywhere), installed into a clean virtual environment, speaks Vietnamese on the
collector's login page, its report, the phone survey and a kiosk's counter page, and says its
version on `/healthz` and `sipas --version`.

The clone is brought to the worktree's files as they are (uncommitted edits included), so the test
checks the code under test rather than the last commit. pip uses the
machine's index and cache as they are.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from shared import __version__
from shared.i18n import catalogue
from tests.deploy.tools import REPO
from tests.factories import free_port

pytestmark = pytest.mark.slow

PASSWORD = "mat-khau-thu-nghiem-1"  # noqa: S105 - a test account's password
COLLECTOR_CATALOGUE = REPO / "collector" / "translations"
KIOSK_CATALOGUE = REPO / "kiosk" / "translations"
SIPAS_CATALOGUE = REPO / "sipas" / "translations"


def run(*args: str | Path, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False, **kw)
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


def clone_of_the_worktree(target: Path) -> Path:
    """A fresh clone, brought to the worktree's files as they are now: edited and new files that
    git does not ignore, without anything the build or `make` left in ignored places."""
    run("git", "clone", "--quiet", REPO, target)
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    files = {name for name in listed.stdout.split("\0") if name and (REPO / name).is_file()}
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target / name)
    cloned = run("git", "ls-files", "-z", cwd=target).stdout.split("\0")
    for name in set(cloned) - files - {""}:
        (target / name).unlink()  # deleted in the worktree, not yet committed
    return target


def venv(path: Path) -> Path:
    run(sys.executable, "-m", "venv", path)
    return path / "bin"


def vi(message: str, directory: Path) -> str:
    """The Vietnamese of `message`, failing when the catalogue has none (the test would be moot)."""
    text = catalogue("vi", directory).gettext(message)
    assert text != message, message
    return text


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args} exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} never became ready: {log.read_text()[-3000:]}")


def assert_vietnamese(page: requests.Response, *messages: tuple[str, Path]) -> None:
    assert page.ok, page.status_code
    assert '<html lang="vi"' in page.text
    for message, directory in messages:
        assert vi(message, directory) in page.text, message
        assert f">{message}<" not in page.text, message


def serve(args: list, log: Path, procs: list, **kw) -> None:
    """Start a server process (its output in `log`); the test stops every one it started."""
    with log.open("wb") as out:
        procs.append(
            subprocess.Popen([str(a) for a in args], stdout=out, stderr=subprocess.STDOUT, **kw)
        )


def test_a_wheel_from_a_fresh_clone_serves_vietnamese(tmp_path):
    source = clone_of_the_worktree(tmp_path / "source")
    assert not list(source.rglob("*.mo")), "the clone must hold no compiled catalogue"

    builder = venv(tmp_path / "build-venv")
    run(builder / "pip", "install", "--quiet", "build")
    run(builder / "python", "-m", "build", "--wheel", "--outdir", tmp_path / "dist", source)
    wheels = list((tmp_path / "dist").glob("*.whl"))
    assert [w.name for w in wheels] == [f"sipas-{__version__}-py3-none-any.whl"]

    # The collector's server, as docs/deploy.md installs it.
    bin_ = venv(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIPAS_", "PYTHON"))}
    env["HOME"] = str(tmp_path / "home")
    # Plain HTTP on loopback: the session cookie may not be Secure, or it never comes back.
    env["SIPAS_COLLECTOR_SESSION_COOKIE_SECURE_AUTO"] = "false"
    cwd = tmp_path / "elsewhere"  # not the repository: nothing may be imported from it
    cwd.mkdir()
    run(bin_ / "pip", "install", "--quiet", f"{wheels[0]}[deploy]", env=env)
    sipas = bin_ / "sipas"
    where = run(bin_ / "python", "-c", "import shared; print(shared.__file__)", cwd=cwd, env=env)
    installed = Path(where.stdout.strip()).parent.parent
    assert installed.name == "site-packages"
    assert not list(installed.glob("*/translations/**/*.mo"))
    # The Vietnamese voice pack ships in the wheel: every clip its manifest names.
    pack = installed / "shared" / "voices" / "packs" / "vi"
    named = re.findall(r'"file": "([^"]+)"', (pack / "manifest.json").read_text("utf-8"))
    assert named and sorted(named) == sorted(p.name for p in pack.glob("*.opus"))

    version = vi("%(prog)s, version %(version)s", SIPAS_CATALOGUE)
    assert run(sipas, "--version", cwd=cwd, env=env).stdout == (
        version % {"prog": "sipas", "version": __version__} + "\n"
    )

    collector = [sipas, "collector", "--instance", tmp_path / "collector"]
    for args in (
        ["db", "upgrade"],
        ["units", "add", "P01", "Tỉnh Thử", "--kind", "province"],
        ["units", "add", "C01", "Xã Thử", "--parent", "P01", "--kind", "commune"],
        ["users", "add", "admin@example.gov.vn", "--role", "admin", "--password", PASSWORD],
    ):
        run(*collector, *args, cwd=cwd, env=env)
    registered = run(*collector, "kiosks", "register", "--unit", "C01", cwd=cwd, env=env)
    kiosk_token = registered.stdout.split()[-1]
    issued = run(
        *collector, "receipts", "issue", "--dossier", "000.00.12.H40-261207-0001", "--unit",
        "C01", cwd=cwd, env=env,
    )  # fmt: skip
    receipt_path = re.search(r"/r/[A-Za-z0-9_-]+", issued.stdout)[0]

    collector_port, kiosk_port = free_port(), free_port()
    base, kiosk_base = f"http://127.0.0.1:{collector_port}", f"http://127.0.0.1:{kiosk_port}"
    procs: list[subprocess.Popen] = []
    try:
        log = tmp_path / "collector.log"
        serve([*collector, "run", "--port", collector_port], log, procs, cwd=cwd, env=env)
        wait_ready(f"{base}/readyz", procs[-1], log)
        assert requests.get(f"{base}/healthz", timeout=5).json()["version"] == __version__

        web = requests.Session()
        login = web.get(f"{base}/login", timeout=10)
        assert_vietnamese(login, ("Password", COLLECTOR_CATALOGUE))
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login.text)[1]
        logged = web.post(
            f"{base}/login",
            data={"email": "admin@example.gov.vn", "password": PASSWORD, "csrf_token": csrf},
            timeout=10,
        )
        assert logged.ok
        report = web.get(f"{base}/reports", params={"unit": "C01"}, timeout=30)
        assert_vietnamese(report, ("Satisfaction report", COLLECTOR_CATALOGUE))
        survey = requests.get(base + receipt_path, timeout=10)
        assert_vietnamese(survey, ("Next", COLLECTOR_CATALOGUE))
        clip = re.search(r'<audio class="listen" [^>]*src="([^"]+)"', survey.text)
        assert requests.get(base + clip.group(1), timeout=10).content[:4] == b"OggS"

        # A counter machine, as deploy/kiosk/install.sh sets it up from the clone: it builds the
        # wheel itself (SIPAS_WHEEL would take one built beforehand).
        root = tmp_path / "counter-pc"
        run(
            source / "deploy" / "kiosk" / "install.sh",
            *("--office", "Một cửa xã Thử", "--counter", "1:C01:admin", "--pin", "246813"),
            *("--collector-url", base, "--collector-token", kiosk_token),
            env={
                **env,
                "SIPAS_ROOT": str(root),
                "SIPAS_NO_SYSTEM": "1",
                "SIPAS_VENV": str(tmp_path / "kiosk-venv"),
            },
        )
        kiosk_sipas = tmp_path / "kiosk-venv" / "bin" / "sipas"
        log = tmp_path / "kiosk.log"
        instance = root / "var" / "lib" / "sipas-kiosk"
        serve(
            [kiosk_sipas, "kiosk", "run", "--instance", instance, "--port", kiosk_port],
            log, procs, cwd=cwd, env=env,
        )  # fmt: skip
        wait_ready(f"{kiosk_base}/readyz", procs[-1], log)
        assert requests.get(f"{kiosk_base}/healthz", timeout=5).json()["version"] == __version__
        counter = requests.get(f"{kiosk_base}/c/1", timeout=10)
        assert_vietnamese(
            counter, ("How satisfied are you with our service today?", KIOSK_CATALOGUE)
        )
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
