"""Email channel: one multipart (text + HTML) message per alert, over SMTP or to a Maildir.

SMTP uses implicit TLS (``[smtp] tls = true``, usually port 465) or STARTTLS
(``starttls = true``, port 587), and logs in when a username is set (password from the
variable named by ``password_env``). With no ``[smtp] host`` the message is written to a
local Maildir (``[smtp] maildir``, relative to the settings file), so a fresh install loses
nothing and the mail can be read with any mail client (``mutt -f mail``).
"""

from __future__ import annotations

import mailbox
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.alerts.channel import Message, SendResult

if TYPE_CHECKING:
    from monitor.config import Settings, SmtpSettings
    from monitor.models import Subscription


def one_line(value: str) -> str:
    """A header-safe value: no CR/LF (header injection), runs of space collapsed."""
    return " ".join(value.split())


def build_email(message: Message, sender: str, recipient: str) -> EmailMessage:
    """The MIME message: text/plain and text/html alternatives, stable Message-ID."""
    mail = EmailMessage()
    mail["Subject"] = one_line(message.subject)
    mail["From"] = sender
    mail["To"] = recipient
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or "banwatch.localhost"
    # The same idempotency key on every retry: mail clients collapse a duplicate.
    mail["Message-ID"] = f"<{message.id}@{one_line(domain)}>" if message.id else make_msgid()
    mail["X-Banwatch-Kind"] = message.kind
    for name, value in message.headers.items():
        mail[name] = one_line(value)
    if message.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


class EmailChannel:
    """Sends to one mail address through SMTP, or into a Maildir when SMTP is not set up."""

    def __init__(self, address: str, smtp: SmtpSettings, maildir: Path) -> None:
        self.address = address
        self.smtp = smtp
        self.maildir = maildir

    @classmethod
    def from_subscription(cls, subscription: Subscription, settings: Settings) -> EmailChannel:
        return cls.from_settings(subscription.address, settings)

    @classmethod
    def from_settings(cls, address: str, settings: Settings) -> EmailChannel:
        folder = Path(settings.smtp.maildir).expanduser()
        if not folder.is_absolute():
            folder = settings.base_dir / folder
        return cls(address, settings.smtp, folder)

    def describe(self) -> str:
        if not self.smtp.host:
            return f"email {self.address} (to Maildir {self.maildir})"
        mode = "tls" if self.smtp.tls else ("starttls" if self.smtp.starttls else "plain")
        login = f" as {self.smtp.username}" if self.smtp.username else ""
        return f"email {self.address} via {self.smtp.host}:{self.smtp.port} ({mode}){login}"

    def send(self, message: Message) -> SendResult:
        mail = build_email(message, self.smtp.from_, self.address)
        if not self.smtp.host:
            return self._to_maildir(mail)
        return self._to_smtp(mail)

    def _to_maildir(self, mail: EmailMessage) -> SendResult:
        try:
            key = mailbox.Maildir(self.maildir, create=True).add(mail)
        except OSError as exc:
            return SendResult.failed(f"maildir {self.maildir}: {exc}")
        return SendResult.sent(f"maildir {self.maildir}/new/{key}")

    def _to_smtp(self, mail: EmailMessage) -> SendResult:
        smtp = self.smtp
        host = smtp.host or ""
        context = ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if smtp.tls:
                client = smtplib.SMTP_SSL(host, smtp.port, timeout=smtp.timeout, context=context)
            else:
                client = smtplib.SMTP(host, smtp.port, timeout=smtp.timeout)
            with client:
                if smtp.starttls and not smtp.tls:
                    client.starttls(context=context)
                if smtp.username:
                    client.login(smtp.username, smtp.password or "")
                refused = client.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            return SendResult.failed(f"smtp {host}: login refused: {exc.smtp_code}")
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(f"{r}: {c}" for r, (c, _m) in exc.recipients.items())
            permanent = all(c >= 500 for c, _m in exc.recipients.values())
            return SendResult.failed(
                f"smtp {host}: recipient refused ({codes})", retry=not permanent
            )
        except smtplib.SMTPResponseException as exc:
            return SendResult.failed(f"smtp {host}: {exc.smtp_code} {_text(exc.smtp_error)}")
        except (TimeoutError, smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            return SendResult.failed(f"smtp {host}:{smtp.port}: {type(exc).__name__}: {exc}")
        if refused:
            return SendResult.failed(f"smtp {host}: refused {', '.join(refused)}")
        return SendResult.sent(f"smtp {host}:{smtp.port} accepted")


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
