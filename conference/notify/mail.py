"""Sending one e-mail through the configured SMTP server, or to the log in development."""

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app

from conference.observability import metrics

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The mail server did not take the message: its reply code (None when it could not be
    reached or did not answer) and its reply."""

    def __init__(self, smtp_code: int | None, reply: str) -> None:
        super().__init__(f"{smtp_code or 'no answer'}: {reply}")
        self.smtp_code = smtp_code
        self.reply = reply


def _reply(text: bytes | str) -> str:
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)


def send_mail(*, to: str, subject: str, body: str) -> None:
    """Send a plain-text message; raises DeliveryError when the server does not take it."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with metrics.mail_delivery():
        if config["MAIL_BACKEND"] == "log":
            # Subjects and bodies carry references and links only, so they may be logged.
            log.info("mail to %s: %s\n%s", to, subject, body)
            return
        _send(config, message)


def _send(config: Any, message: EmailMessage) -> None:
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:  # the one recipient refused
        code, reply = next(iter(error.recipients.values()))
        raise DeliveryError(code, _reply(reply)) from error
    except smtplib.SMTPResponseException as error:  # the sender, the data or the login refused
        raise DeliveryError(error.smtp_code, _reply(error.smtp_error)) from error
    except (smtplib.SMTPException, OSError) as error:  # unreachable, or hung up
        raise DeliveryError(None, type(error).__name__) from error
