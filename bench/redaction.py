"""Personal-data redaction (shared.redaction) on the labelled corpus, and its speed.

1. Quality on tests/shared/data/redaction_corpus.txt (the same scoring as the tests): recall of
   labelled personal data (a span counts only when every letter and digit of it is replaced),
   precision per character replaced, and the share of ordinary comments left untouched. The
   issue's bar: recall >= 0.98, ordinary intact >= 0.99.
2. Speed: `clean_comment` (normalise, then redact) over every corpus comment, and over comments of
   1,000 characters (the longest a comment may be), beside the bare baseline `normalise_text`
   (NFC and control characters only, what a comment cost before any redaction).

Run: `.venv/bin/python bench/redaction.py [--rounds N]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p and Path(p).resolve() != HERE] + [str(HERE)]

from _common import fmt, load, machine, table  # noqa: E402

from shared.redaction import personal_spans  # noqa: E402
from shared.text import clean_comment, normalise_text  # noqa: E402
from tests.shared import redaction_corpus  # noqa: E402

BATCH_MARK = "# -- a second batch"


def _rate(func, texts: list[str], rounds: int) -> tuple[float, float]:
    """Comments per second and microseconds per comment (best of `rounds`)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            func(text)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best, best / len(texts) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    print(load())

    examples = redaction_corpus.load()
    lines = redaction_corpus.CORPUS.read_text(encoding="utf-8").splitlines()
    second = next(i for i, line in enumerate(lines, 1) if line.startswith(BATCH_MARK))
    rows = []
    for name, part in (
        ("whole corpus", examples),
        ("first batch (rules tuned on it)", [e for e in examples if e.line < second]),
        ("second batch (written after)", [e for e in examples if e.line > second]),
    ):
        s = redaction_corpus.score(part, personal_spans)
        rows.append(
            [
                name,
                len(part),
                s.spans,
                f"{s.recall:.3f}",
                f"{s.precision:.3f}",
                f"{s.ordinary_intact}/{s.ordinary}",
                f"{s.intact:.3f}",
            ]
        )
    print()
    print(
        table(
            ["corpus", "comments", "personal spans", "recall", "precision", "ordinary", "intact"],
            rows,
            right={1, 2, 3, 4, 6},
        )
    )
    whole = redaction_corpus.score(examples, personal_spans)
    for line in whole.missed:
        print("missed:", line)
    for line in whole.harmed:
        print("harmed:", line)

    texts = [e.text for e in examples]
    long_texts = [(" ".join(texts[i : i + 40]))[:1000] for i in range(0, len(texts), 40)]
    speed = []
    for label, sample in (("corpus comments", texts), ("1,000-character comments", long_texts)):
        base_rate, base_us = _rate(normalise_text, sample, args.rounds)
        rate, us = _rate(clean_comment, sample, args.rounds)
        speed.append([label, "bare: normalise_text", fmt(base_rate, 0), fmt(base_us, 1), "1"])
        speed.append(
            [label, "clean_comment (redaction)", fmt(rate, 0), fmt(us, 1), fmt(us / base_us, 1)]
        )
    print()
    print(table(["comments", "work", "comments/s", "µs each", "x bare"], speed, right={2, 3, 4}))
    print(load())
    if whole.recall < 0.98 or whole.intact < 0.99:
        sys.exit("below the bar: recall >= 0.98 and ordinary intact >= 0.99")


if __name__ == "__main__":
    main()
