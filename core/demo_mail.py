"""Demo deployments only: an SMTP server on this machine that keeps every e-mail the demo sends in a Maildir,
so that a first visitor to `make run` can read them at /demo/mail instead of every delivery failing.

aiosmtpd is the ``demo`` extra (``pip install -e '.[demo]'``, what `make run` installs): a real SMTP server,
so the demo's messages take the same path as in production, through the plugins' own SMTP channels.
"""

from __future__ import annotations

import logging
import mailbox
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

SHOWN = 100  # the newest this many; the demo's Maildir is never purged otherwise


@dataclass(frozen=True)
class CaughtMail:
    to: str
    subject: str
    sent_at: datetime | None
    body: str


class _KeepInMaildir:
    def __init__(self, folder: Path):
        self.maildir = mailbox.Maildir(folder, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.maildir.add(envelope.original_content)
        return "250 OK: kept for the demo's mail page"


class MailCatcher:
    """aiosmtpd on host:port in a thread of its own, keeping what it receives in ``folder``."""

    def __init__(self, host: str, port: int, folder: Path):
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per connection would bury the server's
        self.controller = Controller(_KeepInMaildir(folder), hostname=host, port=port)

    def start(self) -> MailCatcher:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def caught_mail(folder: Path) -> list[CaughtMail]:
    """The e-mails kept in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    mails = []
    for raw in mailbox.Maildir(folder, create=False):
        message = message_from_bytes(raw.as_bytes(), policy=default_policy)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        sent_at = parsedate_to_datetime(message["Date"]) if message["Date"] else None
        mails.append(CaughtMail(to=str(message["To"] or ""), subject=str(message["Subject"] or ""),
                                sent_at=sent_at, body=body.get_content() if body is not None else ""))
    mails.sort(key=lambda m: m.sent_at.timestamp() if m.sent_at else 0.0, reverse=True)
    return mails[:SHOWN]
