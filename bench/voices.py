"""Read-aloud benchmark (not a test): `.venv/bin/python bench/voices.py [--runs N]`.

1. Tap to sound: a kiosk (its app served on loopback by werkzeug's threaded server, as the
   browser tests serve it) on the first question screen in Debian's Chromium (headless, with
   --autoplay-policy=no-user-gesture-required as a kiosk is started); the time from the tap on
   "listen" (pointerdown) to the audio element's `playing` event, measured in the page with
   performance.now(). Cold: a new browser context each run (nothing cached); warm: the same page
   tapped again (the clip in the browser's cache). The bare baseline, in the same page and run:
   `new Audio(url).play()` on the same clip from a pointerdown listener, without the kiosk's
   script (what the browser and the server cost anyway).
2. Pack size: the shipped Vietnamese pack (every prompt of every questionnaire, Ogg Opus) against
   the same clips as bare 16-bit mono PCM WAV at 16 kHz (duration from the manifest).

Prints one table; see docs/benchmarks.md, "Read aloud". Goals (issue #18): sound within 300 ms of
the tap; a pack for one language and every questionnaire under 5 MB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(HERE))

from _common import percentile  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--autoplay-policy=no-user-gesture-required",
]

#: In the page: the time from the tap to `playing`, for the kiosk's "listen" (kiosk.js) or for a
#: bare Audio element made by the bench's own listener.
MEASURE = """(bare) => {
  const listen = document.getElementById("listen");
  const url = document.querySelector("main [data-clip]").dataset.clip;
  let started = 0;
  const playing = new Promise((resolve) => {
    if (bare) {
      // The kiosk's own click handler must not run: the bare Audio alone plays.
      listen.addEventListener("click", (event) => event.stopImmediatePropagation(),
                              { capture: true, once: true });
      listen.addEventListener("pointerdown", () => {
        started = performance.now();
        const audio = new Audio(url);
        audio.addEventListener("playing", () => resolve(performance.now() - started));
        audio.play();
      }, { capture: true, once: true });
    } else {
      listen.addEventListener("pointerdown", () => { started = performance.now(); },
                              { capture: true, once: true });
      document.getElementById("voice").addEventListener(
        "playing", () => resolve(performance.now() - started), { once: true });
    }
  });
  window.__measure = playing;
}"""


def serve_kiosk(folder: Path):
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from kiosk import create_app
    from shared.migrate import upgrade

    url = f"sqlite:///{folder / 'kiosk.sqlite3'}"
    upgrade("kiosk", url)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "COUNTERS": [{"code": "1", "unit": "H40.22.01", "kinds": ["admin"]}],
        },
        instance_path=str(folder),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def tap(page, bare: bool) -> float:
    page.evaluate(MEASURE, bare)
    page.locator("#listen").click()
    ms = page.evaluate("() => window.__measure")
    page.evaluate("() => document.querySelectorAll('audio').forEach((a) => a.pause())")
    return ms


def latencies(base: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    found: dict[str, list[float]] = {k: [] for k in ("cold", "warm", "bare cold", "bare warm")}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            for bare in (False, True):
                context = browser.new_context(viewport={"width": 800, "height": 1280})
                page = context.new_page()
                page.goto(base + "/c/1/admin/new/0")
                name = "bare " if bare else ""
                found[name + "cold"].append(tap(page, bare))
                page.goto(base + "/c/1/admin/new/0")
                found[name + "warm"].append(tap(page, bare))
                context.close()
        browser.close()
    return found


def pack_sizes() -> tuple[int, int, int, float]:
    from shared.voices import PACKS_DIR, read_manifest

    pack = PACKS_DIR / "vi"
    manifest = read_manifest(pack)
    opus = sum((pack / c.file).stat().st_size for c in manifest.clips)
    wav = sum(44 + int(c.duration * 16000) * 2 for c in manifest.clips)
    seconds = sum(c.duration for c in manifest.clips)
    return len(manifest.clips), opus + (pack / "manifest.json").stat().st_size, wav, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server, base = serve_kiosk(Path(tmp))
        try:
            found = latencies(base, args.runs)
        finally:
            server.shutdown()
    print(f"Tap on 'listen' to `playing`, ms ({args.runs} runs each)")
    print(f"{'':<22}{'median':>8}{'p95':>8}{'max':>8}")
    for name, values in found.items():
        label = ("bare Audio, " if name.startswith("bare") else "kiosk listen, ") + name[-4:]
        print(
            f"{label:<22}{percentile(values, 50):>8.1f}{percentile(values, 95):>8.1f}"
            f"{max(values):>8.1f}"
        )
    clips, opus, wav, seconds = pack_sizes()
    print()
    print(f"Vietnamese pack: {clips} clips, {seconds:.0f} s of speech")
    print(f"{'Ogg Opus + manifest':<22}{opus / 2**20:>8.2f} MB")
    print(f"{'bare WAV 16 kHz 16-bit':<22}{wav / 2**20:>8.2f} MB")


if __name__ == "__main__":
    main()
