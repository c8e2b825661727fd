"""The labelled corpus of tests/shared/data/redaction_corpus.txt and how redaction is scored on it:
read by tests/shared/test_redaction.py and bench/redaction.py (one scoring for both)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shared.redaction import Span

CORPUS = Path(__file__).parent / "data" / "redaction_corpus.txt"
OPEN, CLOSE = "⟦", "⟧"


@dataclass(frozen=True)
class Example:
    """A comment as typed, and the spans of it that hold personal data (none: ordinary)."""

    line: int
    text: str
    personal: tuple[tuple[int, int], ...]

    @property
    def ordinary(self) -> bool:
        return not self.personal


def parse(line: str, number: int = 0) -> Example:
    text, spans, start = [], [], None
    for ch in line:
        if ch == OPEN:
            start = sum(map(len, text))
        elif ch == CLOSE:
            assert start is not None, f"line {number}: {CLOSE} without {OPEN}"
            spans.append((start, sum(map(len, text))))
            start = None
        else:
            text.append(ch)
    assert start is None, f"line {number}: {OPEN} without {CLOSE}"
    return Example(number, "".join(text), tuple(spans))


def load(path: Path = CORPUS) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            examples.append(parse(line, number))
    return examples


def _alnum(text: str, start: int, end: int) -> set[int]:
    return {i for i in range(start, end) if text[i].isalnum()}


@dataclass
class Score:
    """Item recall: labelled spans whose every letter and digit was found. Character precision:
    letters and digits found that are labelled. Ordinary intact: comments without personal data
    that come out unchanged."""

    spans: int = 0
    spans_found: int = 0
    chars_found: int = 0
    chars_found_labelled: int = 0
    ordinary: int = 0
    ordinary_intact: int = 0
    missed: list[str] = field(default_factory=list)
    harmed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.spans_found / self.spans if self.spans else 1.0

    @property
    def precision(self) -> float:
        return self.chars_found_labelled / self.chars_found if self.chars_found else 1.0

    @property
    def intact(self) -> float:
        return self.ordinary_intact / self.ordinary if self.ordinary else 1.0


def score(examples: list[Example], find: Callable[[str], list[Span]]) -> Score:
    result = Score()
    for example in examples:
        found: set[int] = set()
        for span in find(example.text):
            found |= _alnum(example.text, span.start, span.end)
        labelled: set[int] = set()
        for start, end in example.personal:
            chars = _alnum(example.text, start, end)
            labelled |= chars
            result.spans += 1
            if chars <= found:
                result.spans_found += 1
            else:
                secret = example.text[start:end]
                result.missed.append(f"{example.line}: {secret!r} in {example.text!r}")
        result.chars_found += len(found)
        result.chars_found_labelled += len(found & labelled)
        if example.ordinary:
            result.ordinary += 1
            if found:
                result.harmed.append(f"{example.line}: {example.text!r}")
            else:
                result.ordinary_intact += 1
        elif found - labelled:
            result.harmed.append(f"{example.line}: {example.text!r} (beyond the labels)")
    return result
