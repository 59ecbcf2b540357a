"""Sending one e-mail through the configured SMTP server, or to the log in development."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from conference.observability import metrics

log = logging.getLogger(__name__)


def send_mail(*, to: str, subject: str, body: str) -> None:
    """Send a plain-text message; raises if the server refuses it."""
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
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
