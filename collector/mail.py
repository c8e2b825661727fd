"""Sending reports by email over SMTP, with the settings from the collector's configuration:

MAIL_SERVER, MAIL_PORT, MAIL_USE_SSL (SMTPS), MAIL_USE_STARTTLS, MAIL_USERNAME, MAIL_PASSWORD,
MAIL_FROM, MAIL_TIMEOUT, and REPORT_MAIL_TO (the default recipients of the weekly report).
"""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USE_SSL": False,
    "MAIL_USE_STARTTLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "sipas@localhost",
    "MAIL_TIMEOUT": 30,
    "REPORT_MAIL_TO": [],
}


class MailError(RuntimeError):
    """The report could not be handed to the SMTP server."""


def build_message(
    sender: str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    attachments: Sequence[Path] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(text)
    for path in attachments:
        ctype, _ = mimetypes.guess_type(path.name)
        if path.suffix == ".xlsx":
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return message


def send(config: Mapping[str, Any], message: EmailMessage) -> None:
    """Hand the message to the configured SMTP server."""
    settings = {**DEFAULTS, **{k: config[k] for k in DEFAULTS if k in config}}
    host, port, timeout = (
        settings["MAIL_SERVER"],
        int(settings["MAIL_PORT"]),
        settings["MAIL_TIMEOUT"],
    )
    try:
        if settings["MAIL_USE_SSL"]:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if settings["MAIL_USE_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if settings["MAIL_USERNAME"]:
                smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"cannot send mail through {host}:{port}: {exc}") from exc
