"""The app factory: configuration order, no I/O, refusal of the development key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from collector import InsecureSecretKey, create_app
from collector.config import DEV_SECRET_KEY


def test_configuration_layers_in_order(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "collector.toml").write_text(
        'SECRET_KEY = "from-toml"\nAPI_MAX_RESPONSES = 100\nOPEN_STATUS_PAGE = true\n'
        'DATABASE_URL = "sqlite:///from-toml.sqlite"\n',
        "utf-8",
    )
    monkeypatch.setenv("SIPAS_COLLECTOR_API_MAX_RESPONSES", "200")
    monkeypatch.setenv("SIPAS_COLLECTOR_SECRET_KEY", "from-env")
    app = create_app({"INSTANCE_PATH": str(instance), "OPEN_STATUS_PAGE": False})
    assert app.config["SECRET_KEY"] == "from-env"  # env beats the file
    assert app.config["API_MAX_RESPONSES"] == 200
    assert app.config["OPEN_STATUS_PAGE"] is False  # test config beats everything
    assert app.config["DATABASE_URL"] == "sqlite:///from-toml.sqlite"  # file beats defaults
    assert app.config["BABEL_DEFAULT_LOCALE"] == "vi"


def test_the_default_database_is_sqlite_in_the_instance_folder_and_nothing_is_created(tmp_path):
    instance = tmp_path / "never-created"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance)})
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'collector.sqlite'}"
    assert not instance.exists()  # the factory does no I/O: no folder, no database file


def test_the_development_key_is_refused_outside_testing_and_debug(tmp_path, monkeypatch):
    monkeypatch.delenv("SIPAS_COLLECTOR_SECRET_KEY", raising=False)
    with pytest.raises(InsecureSecretKey) as caught:
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert caught.value.instance_path == str(tmp_path)
    assert create_app({"INSTANCE_PATH": str(tmp_path), "DEBUG": True}).config["SECRET_KEY"] == (
        DEV_SECRET_KEY
    )
    (tmp_path / "secret_key").write_text("kept-in-the-instance\n", "utf-8")
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"] == (
        "kept-in-the-instance"
    )


def test_translation_directories_are_absolute_and_exist(app):
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert [Path(d).parts[-2:] for d in directories] == [
        ("shared", "translations"),
        ("collector", "translations"),
    ]
    assert all(os.path.isabs(d) and os.path.isdir(d) for d in directories)


def test_blueprints_are_registered(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {"api.post_responses", "api.post_heartbeat", "api.openapi", "kiosks.status"} <= endpoints
