"""`sipas kiosk init --setup`: the code of the collector's kiosk registration page (its QR code,
read by a scanner, typed or pasted) sets up the kiosk's collector address, token and counter."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner

from kiosk.cli import kiosk as kiosk_cli
from shared.kiosk_setup import SETUP_FORMAT, read_setup, setup_payload

CODE = setup_payload(
    "https://khaosat.example.gov.vn/", "tok_abc", "O01", 7, "Bộ phận Một cửa xã Một"
)


def init(tmp_path, *args, input=None):
    return CliRunner().invoke(
        kiosk_cli,
        ["init", "--instance", str(tmp_path / "inst"), "--pin", "246813", *args],
        input=input,
    )


def test_the_code_sets_up_the_collector_the_token_and_a_counter(tmp_path):
    result = init(tmp_path, "--setup", CODE)
    assert result.exit_code == 0, result.output
    config = tomllib.loads((tmp_path / "inst" / "kiosk.toml").read_text("utf-8"))
    assert config["collector_url"] == "https://khaosat.example.gov.vn"
    assert config["collector_token"] == "tok_abc"
    assert config["office_name"] == "Bộ phận Một cửa xã Một"
    assert config["counters"] == [
        {"code": "1", "unit": "O01", "kinds": ["admin"], "name": "Quầy 1"}
    ]


def test_a_scanner_types_the_code_and_the_counters_can_still_be_given(tmp_path):
    result = init(
        tmp_path,
        "--setup",
        "-",
        "--counter",
        "2:O01:admin,health:Quầy Y tế",
        "--office",
        "UBND xã Một",
        input=CODE + "\n",
    )
    assert result.exit_code == 0, result.output
    config = tomllib.loads((tmp_path / "inst" / "kiosk.toml").read_text("utf-8"))
    assert config["collector_token"] == "tok_abc" and config["office_name"] == "UBND xã Một"
    assert [c["code"] for c in config["counters"]] == ["2"]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("not json", "không phải mã cài đặt ki-ốt"),
        ('{"format": "other/1"}', "không phải mã cài đặt ki-ốt"),
        (CODE.replace("https://khaosat.example.gov.vn/", "ftp://x"), "địa chỉ máy chủ tổng hợp"),
        (CODE.replace('"tok_abc"', '""'), "mã truy cập"),
    ],
)
def test_a_bad_code_is_refused_and_nothing_is_written(tmp_path, code, message):
    result = init(tmp_path, "--setup", code)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "inst" / "kiosk.toml").exists()


def test_the_code_and_the_typed_token_do_not_mix(tmp_path):
    result = init(tmp_path, "--setup", CODE, "--collector-token", "other")
    assert result.exit_code == 2 and "--collector-token" in result.output


def test_without_a_code_the_office_and_a_counter_are_needed(tmp_path):
    result = init(tmp_path, "--counter", "1:U")
    assert result.exit_code == 2 and "--office" in result.output


def test_the_payload_reads_back():
    setup = read_setup(CODE)
    assert (setup.unit, setup.kiosk_id, setup.office) == ("O01", 7, "Bộ phận Một cửa xã Một")
    assert SETUP_FORMAT in CODE
