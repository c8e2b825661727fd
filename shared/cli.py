"""The `sipas` command: one group per app (`sipas kiosk`, `sipas collector`) and the demo."""

from __future__ import annotations

import click


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


@click.group(cls=_LazyGroup)
def main() -> None:
    """Citizen satisfaction with public services: counter kiosks, receipt survey, reports."""


@main.command()
@click.option("--dir", "workdir", default="demo", show_default=True, type=click.Path())
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--kiosk-port", default=5001, show_default=True)
@click.option("--collector-port", default=5000, show_default=True)
def demo(workdir: str, host: str, kiosk_port: int, collector_port: int) -> None:
    """Set up and start the demo: a collector and a kiosk on SQLite with sample data."""
    from shared.demo import run_demo

    run_demo(workdir, host=host, kiosk_port=kiosk_port, collector_port=collector_port)


if __name__ == "__main__":
    main()
