"""`sipas collector retention ...`: apply the retention policy by hand."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from collector.audit import audit
from collector.cli.change import change
from collector.i18n import gettext as _

retention = AppGroup("retention", help=_("What is kept, and for how long."))


@retention.command("apply", help=_("Blank old comments, delete old responses and export files."))
@click.option("--dry-run", is_flag=True, help=_("Only count what would go; change nothing."))
def retention_apply(dry_run: bool) -> None:
    from collector.reports.exports import app_exports_dir
    from collector.retention import apply_retention

    app = current_app._get_current_object()

    def apply(session):
        result = apply_retention(
            session, app.config, app_exports_dir(app), dt.datetime.now(dt.UTC), dry_run=dry_run
        )
        if not dry_run:
            # The periodic job applies the same policy unaudited; from the command line it is a
            # person's decision, in the audit log like every other change made here.
            audit(
                session,
                "retention-applied",
                None,
                comments=result.comments_blanked,
                responses=result.responses_deleted,
                files=result.files_deleted,
            )
        return result

    result = change(apply, commit=not dry_run)
    if dry_run:
        click.echo(_("Dry run: nothing was changed."))
    click.echo(
        _(
            "Comments blanked: %(comments)d; responses deleted: %(responses)d; "
            "export files deleted: %(files)d."
        )
        % {
            "comments": result.comments_blanked,
            "responses": result.responses_deleted,
            "files": result.files_deleted,
        }
    )
