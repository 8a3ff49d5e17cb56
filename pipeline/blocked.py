"""Recognize a response that is not the policy page: a login wall, a robot check.

Real sites answer 200 with a sign-in form or a captcha instead of the page;
such a response must become a failed check with a clear reason, never a
version. ``detect_blocked`` is a pure function of the archived response.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

LOGIN_PATH_RE = re.compile(r"/(?:ap/)?(?:sign-?in|log-?in|auth|account/login|passport)\b", re.IGNORECASE)


def detect_blocked(record, declared_url: str | None = None) -> str | None:
    """The reason a response is a block page rather than the document, or None.

    :param record: an :class:`pipeline.archive.ArchivedRecord` (final URL, status, headers, body)
    :param declared_url: the URL the declaration asked for
    """
    final = record.url or ""
    if declared_url and final != declared_url and LOGIN_PATH_RE.search(urlsplit(final).path or ""):
        return f"redirected to a login page ({final})"
    return None
