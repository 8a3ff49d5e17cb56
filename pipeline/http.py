"""HTTP conditional requests, answered the same way by the replay server and the feeds."""

from __future__ import annotations

import email.utils


def not_modified(request_headers, headers: dict) -> bool:
    """Whether a conditional GET matches a response's validators: ``If-None-Match`` (weak comparison, as
    RFC 9110 asks for GET; ``*`` matches), else ``If-Modified-Since`` against ``Last-Modified``.

    :param request_headers: any mapping of the request's headers; names are matched without case, and the
        first of repeated headers counts (as ``email.message.Message.get`` gives it)
    :param headers: the response's headers, with ``ETag`` and ``Last-Modified``
    """
    wanted = {}
    for name, value in request_headers.items():
        wanted.setdefault(name.lower(), value)
    inm = wanted.get("if-none-match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or headers["ETag"].removeprefix("W/") in tags
    ims = wanted.get("if-modified-since")
    if not ims:
        return False
    try:
        since = email.utils.parsedate_to_datetime(ims)
        modified = email.utils.parsedate_to_datetime(headers["Last-Modified"])
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and modified <= since
