"""Questionnaires as data.

Each questionnaire is a TOML file in `data/` (kind, version, variant, factors with their items, and
the low-score reasons it offers with the factor each points to); the answer scale and the list of
every reason code with its label are shared by all kinds (`data/common.toml`). Files are validated
when loaded: an error names the file and the entry. Texts are English message ids translated
through the Babel catalogue in `shared/translations`."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from shared.i18n import LOCALES, translated

DATA_DIR = Path(__file__).parent / "data"
KINDS = ("admin", "health", "education")
VARIANTS = ("short", "full")
METHODS = ("sipas", "pooled")
#: Answer values: 1-5 on the scale, 0 for "not used / no opinion".
NO_OPINION = 0
VALUES = (0, 1, 2, 3, 4, 5)
SATISFIED = frozenset({4, 5})
LOW = frozenset({1, 2})
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
_REASON = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used; the message names the file and the bad entry."""


@dataclass(frozen=True)
class Level:
    value: int
    label: str


@dataclass(frozen=True)
class Reason:
    code: str
    label: str


@dataclass(frozen=True)
class Prompt:
    """A text of the kiosk's screens besides the questions and answers (common.toml [[prompts]])."""

    key: str
    text: str


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    factor: str  #: code of the factor it belongs to ("" for the overall question)


@dataclass(frozen=True)
class Factor:
    code: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Questionnaire:
    kind: str
    version: str
    variant: str
    title: str
    method: str  #: "sipas": criterion -> factor mean -> index mean; "pooled": health's pooled rate
    own_wording: bool  #: item wording is the product's own, not an official list
    source: str
    overall: Item | None
    factors: tuple[Factor, ...]
    #: reason code -> factor code it points to ("" for none)
    reasons: dict[str, str] = field(hash=False)

    @property
    def items(self) -> tuple[Item, ...]:
        """The factor items, in order (the overall question is not one of them)."""
        return tuple(item for factor in self.factors for item in factor.items)

    @property
    def questions(self) -> tuple[Item, ...]:
        """Every question asked, the overall one first."""
        return ((self.overall,) if self.overall else ()) + self.items

    @functools.cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(q.code for q in self.questions)

    def factor(self, code: str) -> Factor:
        """The factor with this code; KeyError if there is none."""
        for factor in self.factors:
            if factor.code == code:
                return factor
        raise KeyError(code)


def _table(value: object, where: str) -> dict:
    """`value` as a TOML table, or an error naming where it was expected."""
    if not isinstance(value, dict):
        raise QuestionnaireError(f"{where}: expected a table, not {value!r}")
    return value


def _tables(value: object, where: str) -> list[dict]:
    """`value` as an array of TOML tables, or an error naming where it was expected."""
    if not isinstance(value, list):
        raise QuestionnaireError(f"{where}: expected an array of tables, not {value!r}")
    return [_table(entry, where) for entry in value]


def _texts_of(entry: dict, where: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise QuestionnaireError(f"{where}: missing {key!r}")
        for locale in LOCALES:
            if not translated(value, locale):
                raise QuestionnaireError(f"{where}: {key} {value!r} has no {locale} translation")


def _code(entry: dict, where: str, seen: set[str]) -> str:
    code = entry.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise QuestionnaireError(f"{where}: bad or missing code {code!r}")
    if code in seen:
        raise QuestionnaireError(f"{where}: duplicate code {code!r}")
    seen.add(code)
    return code


@functools.cache
def common() -> tuple[tuple[Level, ...], tuple[Reason, ...]]:
    """The answer scale and the low-score reasons, shared by every questionnaire."""
    path = DATA_DIR / "common.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    levels = []
    for entry in data["scale"]:
        _texts_of(entry, f"{path.name}: scale {entry.get('value')}", ("label",))
        levels.append(Level(int(entry["value"]), entry["label"]))
    if sorted(level.value for level in levels) != list(VALUES):
        raise QuestionnaireError(f"{path.name}: the scale must have the values 0-5 once each")
    seen: set[str] = set()
    reasons = []
    for entry in data["reasons"]:
        where = f"{path.name}: reason {entry.get('code')}"
        code = entry.get("code")
        if not isinstance(code, str) or not _REASON.match(code) or code in seen:
            raise QuestionnaireError(f"{where}: bad or duplicate reason code")
        seen.add(code)
        _texts_of(entry, where, ("label",))
        reasons.append(Reason(code, entry["label"]))
    return tuple(levels), tuple(reasons)


@functools.cache
def screen_prompts() -> tuple[Prompt, ...]:
    """The screens' own texts read aloud (welcome, start, kinds, buttons, thank you), in order."""
    path = DATA_DIR / "common.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    seen: set[str] = set()
    found = []
    for entry in _tables(data.get("prompts", []), f"{path.name}: prompts"):
        where = f"{path.name}: prompt {entry.get('key')}"
        key = entry.get("key")
        if not isinstance(key, str) or not _REASON.match(key) or key in seen:
            raise QuestionnaireError(f"{where}: bad or duplicate prompt key")
        seen.add(key)
        _texts_of(entry, where, ("text",))
        found.append(Prompt(key, entry["text"]))
    return tuple(found)


def parse(data: dict, name: str) -> Questionnaire:
    """Build and validate a questionnaire from its parsed TOML; `name` is used in errors."""
    kind, variant, method = data.get("kind"), data.get("variant"), data.get("method")
    if kind not in KINDS:
        raise QuestionnaireError(f"{name}: kind must be one of {KINDS}, not {kind!r}")
    if variant not in VARIANTS:
        raise QuestionnaireError(f"{name}: variant must be one of {VARIANTS}, not {variant!r}")
    if method not in METHODS:
        raise QuestionnaireError(f"{name}: method must be one of {METHODS}, not {method!r}")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise QuestionnaireError(f"{name}: missing version")
    own_wording = data.get("own_wording", False)
    if not isinstance(own_wording, bool):
        raise QuestionnaireError(f"{name}: own_wording must be true or false, not {own_wording!r}")
    _texts_of(data, name, ("title",))
    seen: set[str] = set()
    overall = None
    if "overall" in data:
        where = f"{name}: overall question"
        entry = _table(data["overall"], where)
        overall = Item(_code(entry, where, seen), entry.get("text", ""), "")
        _texts_of(entry, where, ("text",))
    factors = []
    for fentry in _tables(data.get("factors", []), f"{name}: factors"):
        fwhere = f"{name}: factor {fentry.get('code')!r}"
        fcode = _code(fentry, fwhere, seen)
        _texts_of(fentry, fwhere, ("title",))
        items = []
        for ientry in _tables(fentry.get("items", []), f"{fwhere}: items"):
            iwhere = f"{name}: item {ientry.get('code')!r} of factor {fcode}"
            items.append(Item(_code(ientry, iwhere, seen), ientry.get("text", ""), fcode))
            _texts_of(ientry, iwhere, ("text",))
        if not items:
            raise QuestionnaireError(f"{fwhere}: a factor needs at least one item")
        factors.append(Factor(fcode, fentry["title"], tuple(items)))
    if not factors:
        raise QuestionnaireError(f"{name}: no factors")
    for item in _tables(data.get("items", []), f"{name}: items"):
        raise QuestionnaireError(f"{name}: item {item.get('code')!r} is not in a factor")
    reasons = dict(_table(data.get("reasons", {}), f"{name}: reasons"))
    factor_codes = {f.code for f in factors}
    # Each questionnaire offers the reasons that fit its kind of service (a health centre has no
    # "papers" to complain about); "other" is always there, so nobody is left without a choice.
    if "other" not in reasons:
        raise QuestionnaireError(f"{name}: reasons must include 'other'")
    for code, factor in reasons.items():
        if code not in {r.code for r in common()[1]}:
            raise QuestionnaireError(f"{name}: unknown reason {code!r}")
        if not isinstance(factor, str) or (factor and factor not in factor_codes):
            raise QuestionnaireError(f"{name}: reason {code!r} points to unknown factor {factor!r}")
    if variant == "short":
        if overall is None:
            raise QuestionnaireError(f"{name}: a short questionnaire needs an overall question")
        for f in factors:
            if len(f.items) != 1:
                raise QuestionnaireError(
                    f"{name}: factor {f.code!r} has {len(f.items)} items;"
                    " a short questionnaire has one item per factor"
                )
    return Questionnaire(
        kind=kind,
        version=version,
        variant=variant,
        title=data["title"],
        method=method,
        own_wording=own_wording,
        source=str(data.get("source", "")),
        overall=overall,
        factors=tuple(factors),
        reasons=reasons,
    )


def load(path: Path) -> Questionnaire:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError(f"{path.name}: not valid TOML: {exc}") from exc
    return parse(data, path.name)


@functools.cache
def registry() -> dict[tuple[str, str], Questionnaire]:
    """Every questionnaire in `data/`, by (kind, version); versions are unique within a kind."""
    found: dict[tuple[str, str], Questionnaire] = {}
    for path in sorted(DATA_DIR.glob("*.toml")):
        if path.name == "common.toml":
            continue
        q = load(path)
        if (q.kind, q.version) in found:
            raise QuestionnaireError(f"{path.name}: version {q.version!r} of {q.kind} is taken")
        found[(q.kind, q.version)] = q
    return found


def get(kind: str, version: str) -> Questionnaire | None:
    return registry().get((kind, version))


def current(kind: str, variant: str = "short") -> Questionnaire:
    """The newest version of a kind's variant (versions sort as their number parts)."""
    candidates = [q for q in registry().values() if q.kind == kind and q.variant == variant]
    if not candidates:
        raise LookupError(f"no {variant} questionnaire for {kind}")
    return max(candidates, key=lambda q: [int(n) for n in re.findall(r"\d+", q.version)])
