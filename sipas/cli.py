"""The `sipas` command: one group per app (`sipas kiosk`, `sipas collector`) and the demo."""

from __future__ import annotations

import click

from shared import __version__, click_i18n
from shared.health import cli_locale
from shared.i18n import LOCALES, catalogue
from sipas import TRANSLATIONS_DIR

#: The language of the `sipas` command: SIPAS_COLLECTOR_BABEL_DEFAULT_LOCALE or
#: SIPAS_KIOSK_BABEL_DEFAULT_LOCALE or SIPAS_LANG, Vietnamese by default; click's texts follow.
LOCALE = cli_locale("SIPAS_COLLECTOR_BABEL_DEFAULT_LOCALE", "SIPAS_KIOSK_BABEL_DEFAULT_LOCALE")
click_i18n.install(LOCALE)
_ = catalogue(LOCALE, TRANSLATIONS_DIR).gettext


class _LazyGroup(click.Group):
    """Imports an app's commands only when they are used, so `sipas kiosk` never loads pandas."""

    _apps = {"kiosk": "kiosk.cli:kiosk", "collector": "collector.cli:collector"}

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self._apps})

    def get_command(self, ctx, name):
        if name in self._apps:
            import importlib

            module, attr = self._apps[name].split(":")
            try:
                return getattr(importlib.import_module(module), attr)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
                return None
        return super().get_command(ctx, name)


@click.group(
    cls=_LazyGroup,
    help=_("Citizen satisfaction with public services: counter kiosks, receipt survey, reports."),
)
@click.version_option(__version__, prog_name="sipas", message=_("%(prog)s, version %(version)s"))
def main() -> None:
    pass


@main.command(
    help=_("Set up and start the demo: a collector and a kiosk on SQLite with sample data.")
)
@click.option("--dir", "workdir", default="demo", show_default=True, type=click.Path())
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--kiosk-port", default=5001, show_default=True)
@click.option("--collector-port", default=5000, show_default=True)
@click.option(
    "--lang",
    type=click.Choice(LOCALES),
    default=None,
    help=_("Language of the demo's messages (default: Vietnamese, or the system's language)."),
)
def demo(workdir: str, host: str, kiosk_port: int, collector_port: int, lang: str | None) -> None:
    from sipas.demo import run_demo

    run_demo(
        workdir,
        host=host,
        kiosk_port=kiosk_port,
        collector_port=collector_port,
        lang=lang or cli_locale(system=True),
    )


if __name__ == "__main__":
    main()
