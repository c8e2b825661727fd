"""The questionnaire files load, have the shape the methodology gives, and bad files are refused."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from shared import questionnaires
from shared.questionnaires import QuestionnaireError, load, parse

DATA_FILES = sorted(p for p in questionnaires.DATA_DIR.glob("*.toml") if p.name != "common.toml")
REASON_CODES = {reason.code for reason in questionnaires.common()[1]}

# Texts that have a Vietnamese translation in the shared catalogue.
TITLE = "Satisfaction with administrative services"
OVERALL = "Overall, how satisfied are you with the service you received today?"
FACTORS = {
    "A": (
        "Access to the service",
        ["The service point has enough waiting seats and writing desks"],
    ),
    "B": ("Administrative procedures", ["The procedure is resolved within the time the rules set"]),
    "C": ("Civil servants' service", ["Civil servants follow the rules"]),
}


def make_data(**changes: object) -> dict:
    """A small valid questionnaire as parsed TOML; keyword arguments replace top-level keys."""
    data: dict = {
        "kind": "admin",
        "version": "9.1",
        "variant": "full",
        "method": "sipas",
        "title": TITLE,
        "overall": {"code": "Q0", "text": OVERALL},
        "factors": [
            {
                "code": code,
                "title": title,
                "items": [{"code": f"{code}{n}", "text": t} for n, t in enumerate(texts, 1)],
            }
            for code, (title, texts) in FACTORS.items()
        ],
        "reasons": {
            "waiting": "B",
            "procedure": "B",
            "attitude": "C",
            "fees": "B",
            "facilities": "A",
            "guidance": "C",
            "other": "",
        },
    }
    data.update(copy.deepcopy(changes))
    return data


def refused(data: dict) -> str:
    with pytest.raises(QuestionnaireError) as info:
        parse(data, "bad.toml")
    message = str(info.value)
    assert message.startswith("bad.toml: ")
    return message


# -- the files in data/ ----------------------------------------------------------------------------


def test_the_factory_makes_a_valid_questionnaire():
    q = parse(make_data(), "good.toml")
    assert [f.code for f in q.factors] == ["A", "B", "C"]
    assert [i.code for i in q.questions] == ["Q0", "A1", "B1", "C1"]
    assert q.factor("B").items[0].factor == "B"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_every_file_loads_and_is_registered(path: Path):
    q = load(path)
    assert questionnaires.get(q.kind, q.version) == q
    assert len(q.codes) == len(q.questions), "question codes must be unique"
    assert set(q.reasons) <= REASON_CODES and "other" in q.reasons
    factor_codes = {f.code for f in q.factors}
    for code, factor in q.reasons.items():
        assert factor in factor_codes or (code == "other" and factor == "")
    assert q.overall is not None and q.overall.code == "Q0"


def test_the_registry_holds_every_file():
    assert len(questionnaires.registry()) == len(DATA_FILES)
    assert {kind for kind, _ in questionnaires.registry()} == set(questionnaires.KINDS)


@pytest.mark.parametrize(
    ("kind", "version", "method", "per_factor"),
    [
        ("admin", "2026.1", "sipas", [3, 4, 3, 3, 3]),
        ("health", "2019.1", "pooled", [5, 10, 8, 4, 4]),
    ],
)
def test_official_forms_have_the_methodology_items(kind, version, method, per_factor):
    q = questionnaires.get(kind, version)
    assert q is not None and q.variant == "full" and q.method == method and not q.own_wording
    assert [len(f.items) for f in q.factors] == per_factor
    assert len(q.items) == sum(per_factor)
    expected = [
        f"{f}{n}" for f, count in zip("ABCDE", per_factor, strict=True) for n in range(1, count + 1)
    ]
    assert [item.code for item in q.items] == expected


def test_admin_full_has_16_and_health_full_31_items():
    assert len(questionnaires.get("admin", "2026.1").items) == 16
    assert len(questionnaires.get("health", "2019.1").items) == 31


def test_education_is_our_own_wording_in_five_groups_of_three_or_four():
    q = questionnaires.get("education", "2026.1")
    assert q.own_wording and q.method == "sipas" and "own wording" in q.source
    assert [f.code for f in q.factors] == list("ABCDE")
    assert all(3 <= len(f.items) <= 4 for f in q.factors)
    assert questionnaires.get("education", "2026.1-short").own_wording


@pytest.mark.parametrize("kind", questionnaires.KINDS)
def test_each_short_form_has_one_item_per_factor_of_its_full_form(kind):
    short, full = questionnaires.current(kind, "short"), questionnaires.current(kind, "full")
    assert short.method == full.method
    assert [f.code for f in short.factors] == [f.code for f in full.factors]
    assert [f.title for f in short.factors] == [f.title for f in full.factors]
    assert [item.code for item in short.items] == [f"{f.code}0" for f in short.factors]
    assert short.overall.code == full.overall.code == "Q0"


def test_the_kiosk_codes_of_the_admin_short_form_are_kept():
    q = questionnaires.current("admin")
    assert q.version == "2026.1-short"
    assert [question.code for question in q.questions] == ["Q0", "A0", "B0", "C0", "D0", "E0"]


def test_current_and_get_on_unknown_kinds():
    assert questionnaires.get("admin", "1999.1") is None
    with pytest.raises(LookupError, match="no short questionnaire for tax"):
        questionnaires.current("tax")


def test_factor_lookup_raises_key_error():
    with pytest.raises(KeyError):
        questionnaires.current("admin").factor("Z")


# -- one test per validation error -----------------------------------------------------------------


def test_duplicate_code():
    data = make_data()
    data["factors"][1]["items"].append({"code": "A1", "text": OVERALL})
    message = refused(data)
    assert "duplicate code 'A1'" in message and "factor B" in message


def test_factor_code_clashing_with_an_item_code():
    data = make_data()
    data["factors"][2]["code"] = "A1"
    assert "duplicate code 'A1'" in refused(data)


def test_item_outside_a_factor():
    message = refused(make_data(items=[{"code": "X1", "text": OVERALL}]))
    assert "item 'X1' is not in a factor" in message


def test_missing_translation():
    data = make_data()
    data["factors"][0]["items"][0]["text"] = "A question nobody has translated"
    message = refused(data)
    assert "item 'A1' of factor A" in message
    assert "'A question nobody has translated' has no vi translation" in message


def test_missing_text():
    data = make_data()
    del data["factors"][2]["title"]
    assert "factor 'C': missing 'title'" in refused(data)


def test_reasons_without_other():
    data = make_data()
    del data["reasons"]["other"]
    assert "reasons must include 'other'" in refused(data)


@pytest.mark.parametrize("kind", ["health", "education"])
def test_health_and_education_offer_reasons_of_their_own(kind):
    """No administrative "procedure, papers" reasons where there is no dossier."""
    for q in questionnaires.registry().values():
        if q.kind == kind:
            assert not {"procedure", "guidance", "attitude"} & set(q.reasons), q.version
            assert {r for r in q.reasons if r != "other" and not r.startswith(kind)} <= {"waiting"}
        elif q.kind == "admin":
            assert "procedure" in q.reasons


def test_unknown_reason():
    data = make_data()
    data["reasons"]["weather"] = "A"
    assert "unknown reason 'weather'" in refused(data)


def test_reason_to_unknown_factor():
    data = make_data()
    data["reasons"]["fees"] = "Z"
    assert "reason 'fees' points to unknown factor 'Z'" in refused(data)


@pytest.mark.parametrize(
    ("key", "value"),
    [("kind", "tax"), ("variant", "medium"), ("method", "median"), ("kind", None)],
)
def test_bad_kind_variant_or_method(key, value):
    message = refused(make_data(**{key: value}))
    assert f"{key} must be one of" in message and repr(value) in message


def test_missing_version():
    assert "missing version" in refused(make_data(version=""))


def test_own_wording_must_be_a_boolean():
    assert "own_wording must be true or false, not 'yes'" in refused(make_data(own_wording="yes"))


def test_bad_code():
    data = make_data()
    data["factors"][0]["items"][0]["code"] = "a-1"
    assert "bad or missing code 'a-1'" in refused(data)


def test_short_variant_with_two_items_in_a_factor():
    data = make_data(variant="short")
    for factor in data["factors"]:
        factor["items"][0]["code"] = f"{factor['code']}0"
    assert parse(data, "short.toml").variant == "short"
    data["factors"][1]["items"].append({"code": "B9", "text": OVERALL})
    message = refused(data)
    assert "factor 'B' has 2 items" in message and "one item per factor" in message


def test_short_variant_without_overall_question():
    data = make_data(variant="short")
    del data["overall"]
    assert "short questionnaire needs an overall question" in refused(data)


def test_factor_without_items():
    data = make_data()
    data["factors"][2]["items"] = []
    assert "factor 'C': a factor needs at least one item" in refused(data)


def test_no_factors():
    assert "no factors" in refused(make_data(factors=[]))


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"factors": ["A"]}, "factors: expected a table, not 'A'"),
        ({"factors": {"code": "A"}}, "factors: expected an array of tables"),
        ({"overall": "Q0"}, "overall question: expected a table, not 'Q0'"),
        ({"reasons": ["waiting"]}, "reasons: expected a table"),
        ({"items": "X1"}, "items: expected an array of tables"),
    ],
)
def test_entries_of_the_wrong_shape(changes, where):
    assert where in refused(make_data(**changes))


def test_invalid_toml(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text('kind = "admin"\nversion = \n', encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"^broken\.toml: not valid TOML"):
        load(path)


def test_two_files_with_the_same_version(tmp_path: Path, monkeypatch):
    questionnaires.common()  # cached from the real data directory before it is swapped
    for name in ("one.toml", "two.toml"):
        (tmp_path / name).write_text(
            (questionnaires.DATA_DIR / "admin-2026.1.toml").read_text("utf-8"), encoding="utf-8"
        )
    monkeypatch.setattr(questionnaires, "DATA_DIR", tmp_path)
    with pytest.raises(
        QuestionnaireError, match=r"^two\.toml: version '2026\.1' of admin is taken"
    ):
        questionnaires.registry.__wrapped__()
