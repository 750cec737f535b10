"""Log filters: a refused request is one line, not a traceback."""

from __future__ import annotations

import logging


class RefusalsOnOneLine(logging.Filter):
    """Django logs a 403 raised as PermissionDenied (and a 400 from SuspiciousOperation) with
    the exception's traceback. A refusal is an expected answer, not a fault: keep it one
    WARNING line with the reason, and keep tracebacks for 5xx, where someone has to look."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and isinstance(status, int) and status < 500:
            exception = record.exc_info[1]
            reason = str(exception) if exception is not None else ""
            if reason and isinstance(record.args, tuple):
                record.msg = f"{record.msg} (%s)"
                record.args = (*record.args, reason)
            record.exc_info = None
            record.exc_text = None
        return True
