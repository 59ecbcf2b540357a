"""Keeping personal data out of the logs, whatever fails.

The first line of defence is upstream: SQLAlchemy hides statement parameters
(`hide_parameters`), and input is bounded before it reaches the database. This filter is the
second: on every handler it scrubs what a log record could still carry from the database, namely
the parameters of a failed statement, PostgreSQL's DETAIL lines (which quote the row), values a
database quotes in its message, the rows SQLAlchemy echoes at DEBUG, and query strings in request
lines. It rewrites the record itself (message, and the exception as text), so any formatter after
it, the plain one or a JSON one, prints the scrubbed version.
"""

import logging
import re
from typing import Any

HIDDEN = "[hidden]"

_SCRUB = (
    # SQLAlchemy's "[parameters: ...]" in an error's text, up to its "Background" link.
    (
        re.compile(r"\[parameters: .*?(?=\n\(Background on this error at:|\Z)", re.DOTALL),
        f"[parameters: {HIDDEN}]",
    ),
    # PostgreSQL: 'DETAIL:  Key (email)=(...) already exists.', 'Failing row contains (...)'.
    (re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE), rf"\1 {HIDDEN}"),
    # A value quoted by the database: 'invalid input syntax for type date: "..."'.
    (
        re.compile(r'((?:invalid input|out of range|malformed|too long)[^\n"]*:\s*)"[^"\n]*"'),
        rf'\1"{HIDDEN}"',
    ),
    # The query string of a request line ("GET /path?query HTTP/1.1").
    (
        re.compile(r'("(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) [^"?\s]*)\?[^"\s]*'),
        rf"\1?{HIDDEN}",
    ),
)

# SQLAlchemy's echo: the parameters of each statement ("[%s] %r") and each row read ("Row %r").
_ECHOED_VALUES = {"[%s] %r": 1, "Row %r": 0}


def redact(text: str) -> str:
    """The text with every value the database could have put into it replaced."""
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Scrubs database values from a record's message and exception before any handler
    formats it; never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; always let it through."""
        if isinstance(record.args, tuple) and record.msg in _ECHOED_VALUES:
            position = _ECHOED_VALUES[str(record.msg)]
            args: list[Any] = list(record.args)
            if position < len(args):
                args[position] = HIDDEN
            record.args = tuple(args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call; logging reports it itself
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            # As text: a formatter that formats exc_info itself would print it unscrubbed.
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_redaction(logger: logging.Logger) -> None:
    """Put the filter on every handler of the root logger and of `logger` (once each)."""
    for handler in {*logging.getLogger().handlers, *logger.handlers}:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
