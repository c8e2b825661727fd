"""Helpers shared by the benchmarks under bench/: percentiles, a plain-text table, server processes
started and stopped around a run, the resident memory of a process, and the machine's description.

Not a benchmark itself (`make bench` runs it too; it does nothing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# -- numbers -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Samples:
    """Latencies in seconds, collected from any number of threads (list.append is atomic)."""

    values: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.values.append(seconds)

    def extend(self, other: Samples) -> None:
        self.values.extend(other.values)

    def ms(self, p: float) -> float:
        return percentile(self.values, p) * 1000

    def __len__(self) -> int:
        return len(self.values)


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: set[int] = frozenset()):
    """Rows as aligned plain text; columns whose index is in `right` are right-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells[1:]]
    return "\n".join(out)


# -- the machine -------------------------------------------------------------------------------


def machine() -> str:
    """One line: date, CPUs, Python, SQLite, kernel."""
    return (
        f"{dt.date.today().isoformat()}; nproc {os.cpu_count()}; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
        f"{platform.system()} {platform.release()}"
    )


def load() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the numbers."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def rss_mb(pid: int) -> float | None:
    """Resident memory (VmRSS) of a process in MB, None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (from /proc)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(entry.name))
    return sorted(kids)


def maps_mention(pid: int, needle: str) -> bool:
    """Whether a file whose path contains `needle` is mapped into the process (a loaded .so)."""
    try:
        return needle in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


# -- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    """A free loopback port: from SIPAS_BENCH_PORTS ("first-last") when set, so that runs sharing
    a machine keep to their own ranges; else any the system gives."""
    first, _, last = os.environ.get("SIPAS_BENCH_PORTS", "").partition("-")
    candidates = range(int(first), int(last) + 1) if first and last else [0]
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in {first}-{last}")


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Wait until something accepts connections on 127.0.0.1:port; fail if `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def server(
    argv: Sequence[str],
    *,
    port: int,
    log: Path,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float = 30,
) -> Iterator[Server]:
    """Start a server process in its own process group, wait for its port, and stop it (and any
    process it forked) on the way out, even on error: SIGTERM, then SIGKILL after 10 s."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    srv = Server(proc, port, Path(log))
    try:
        try:
            wait_for_port(port, proc, timeout)
        except Exception as exc:
            raise RuntimeError(f"{argv[0]}: {exc}\n{srv.log_tail()}") from exc
        yield srv
    finally:
        stop_group(proc)


def stop_group(proc: subprocess.Popen, grace: float = 10) -> None:
    """Stop a process started with start_new_session=True, and its process group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # Whatever the leader left behind in its own group (workers that did not exit).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so that `finally` blocks and context managers still run."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


# -- clients -----------------------------------------------------------------------------------


def run_threads(count: int, target: Callable[[int], None]) -> float:
    """Run target(0..count-1) in `count` threads (one: in this thread); return the wall time.
    The first exception in any thread is raised here after all have finished."""
    errors: list[BaseException] = []

    def wrapped(n: int) -> None:
        try:
            target(n)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            errors.append(exc)

    start = time.perf_counter()
    if count == 1:
        # In the calling thread: a profiler running there sees the work.
        target(0)
        return time.perf_counter() - start
    threads = [threading.Thread(target=wrapped, args=(n,), daemon=True) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def split(total: int, parts: int) -> list[int]:
    """`total` jobs shared as evenly as possible between `parts` workers."""
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


if __name__ == "__main__":
    print(machine())
