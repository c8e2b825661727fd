"""Every change made with `sipas collector ...` is in the audit log, as the command line, and the
administrator of the top unit finds it on the audit log page."""

from __future__ import annotations

import re

import sqlalchemy as sa

from collector.cli import collector
from collector.db import get_session
from collector.models import AuditEntry
from tests.factories import issue, login


def test_cli_changes_are_audited_as_the_command_line_and_shown(app, client, units, make):
    make.user("chutich@example.org", "manager", "C01")
    make.user("tinh@example.org", "admin", "P01")
    token = issue(client, make.integration("C01")).get_json()["token"]
    runner = app.test_cli_runner()
    created = runner.invoke(collector, ["tokens", "create", "chutich@example.org"])
    assert created.exit_code == 0, created.output
    token_id = re.search(r"(\d+)", created.output)[1]
    for args in (
        ["tokens", "revoke", token_id],
        ["receipts", "revoke", token],
        ["retention", "apply"],
        ["targets", "set", "admin", "2027", "90", "--source", "QĐ 1"],
    ):
        result = runner.invoke(collector, args)
        assert result.exit_code == 0, (args, result.output)
    wanted = {
        "token-created",
        "token-revoked",
        "receipt-revoked",
        "retention-applied",
        "target-set",
    }
    with app.app_context():
        rows = get_session().execute(sa.select(AuditEntry.action, AuditEntry.user_id)).all()
    by_cli = {action for action, user_id in rows if user_id is None}
    assert wanted <= by_cli
    login(client, "tinh@example.org")
    page = client.get("/admin/audit").get_data(as_text=True)
    for action in wanted:
        row = re.search(rf'<tr data-action="{action}">.*?</tr>', page, re.S)
        assert row and "dòng lệnh" in row[0], action
    assert "chutich@example.org" in page  # the token's owner is named in the details
