"""click's own texts ("Usage:", "Options", "Show this message and exit.", its errors) in the
operator's language.

click translates with the standard library (`from gettext import gettext as _` in each of its
modules, domain `messages`, no catalogue shipped), so without help they stay English. `install`
points those module-level names at shared's catalogue, where the message ids below are kept (they
are listed here so `make i18n` keeps them in shared/translations).
"""

from __future__ import annotations

import importlib

from shared.i18n import N_, catalogue

MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
    "click.utils",
)

MESSAGES = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("Error: {message}"),
    N_("Aborted!"),
    N_("Try '{command} {option}' for help."),
    N_("No such command {name!r}."),
    N_("No such option: {name}"),
    N_("No such option {name!r}."),
    N_("Missing command."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing {param_type} {param_hint}."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Option {name!r} does not take a value."),
    N_("Option {name!r} requires an argument."),
    N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."),
    N_("Error: invalid input"),
    N_("default: {default}"),
    N_("env var: {var}"),
    N_("required"),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value!r} is not one of {choices}."),
    N_("{value!r} is not {choice}."),
    N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("Directory"),
    N_("File"),
    N_("Path"),
    N_("directory"),
    N_("file"),
    N_("path"),
    N_("integer"),
    N_("Do you want to continue?"),
    N_("Press any key to continue..."),
)


def install(locale: str) -> None:
    """Translate click's texts into `locale` from now on (English leaves them as they are)."""
    translations = catalogue(locale)
    for name in MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = translations.gettext
        if hasattr(module, "ngettext"):
            module.ngettext = translations.ngettext


def _plural_ids(ngettext) -> None:
    """Never called: shows `make i18n` the plural message ids click uses."""
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
