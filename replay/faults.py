"""Fault mode for the replay server: the ways real servers misbehave, on demand.

A :class:`FaultPlan` maps URLs to :class:`Fault` s. While a replay server runs
with a plan (``ReplayServer(site, as_of, faults=plan)``), a request for a
faulted URL gets the fault instead of (or made out of) the page the site
would serve; every other URL is served as usual. The kinds:

==================  ===========================================================
``timeout``         read the request, answer nothing, hang (past the client's
                    ``DOWNLOAD_TIMEOUT``), then close
``slow_body``       send the headers at once, then drip the body one byte at a
                    time, slower than any sane timeout allows
``reset``           close the connection with a TCP RST before answering
``truncated``       promise the whole body in ``Content-Length``, send part of
                    it, close
``http_500``        ``500 Internal Server Error``
``http_502``        ``502 Bad Gateway``
``http_503``        ``503 Service Unavailable`` (with ``Retry-After`` when
                    ``retry_after`` is set)
``rate_limited``    ``429 Too Many Requests`` with ``Retry-After``
``redirect_loop``   ``302`` back and forth between the URL and a twin of it
``login_redirect``  ``302`` to ``/ap/signin`` on the same host, which serves a
                    sign-in form
``offsite_redirect`` ``302`` to a host outside the declared domains
``captcha``         ``200`` with a robot check (Amazon's validateCaptcha form)
``consent``         ``200`` with a cookie-consent wall instead of the page
``no_selectors``    ``200`` with the real page after a "redesign": every
                    ``id`` and ``class`` attribute gone, so the declared
                    selectors match nothing
``shrink``          ``200`` with the real page cut to its first ``fraction``
                    of content blocks (paragraphs, list items, headings, rows)
``empty``           ``200`` with an empty body
``binary``          ``200`` ``text/html`` whose body is random bytes
``wrong_charset``   ``200`` with the real page re-encoded as GBK while the
                    header still says ``charset=utf-8`` (a fault only for
                    pages with non-ASCII text)
==================  ===========================================================

Every fault can be limited to the first ``times`` requests for its URL (then
the page is served normally: a transient fault that a retry overcomes), and
to server dates from ``since`` on (so one plan serves a site normally at one
date and faulty at the next). The plan counts every request it sees
(:attr:`FaultPlan.hits`, with ``time.monotonic()`` stamps), so a test can
check how often and how patiently a crawler retried.

A plan can be written as YAML (:meth:`FaultPlan.load`); extra keys of an entry
(such as ``expect``, used by the tests) are kept in :attr:`Fault.extra`::

    - url: https://busy.shop.example/help/fees
      fault: rate_limited
      retry_after: 1
      times: 1
      since: 2026-02-01
"""

from __future__ import annotations

import random
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from pipeline.timeutil import iso

KINDS = (
    "timeout", "slow_body", "reset", "truncated", "http_500", "http_502", "http_503", "rate_limited",
    "redirect_loop", "login_redirect", "offsite_redirect", "captcha", "consent", "no_selectors", "shrink",
    "empty", "binary", "wrong_charset",
)

#: The sign-in page a ``login_redirect`` sends to (same host).
LOGIN_PATH = "/ap/signin"

ERROR_PAGES = {
    500: b"<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1>"
         b"<p>Something went wrong on our end.</p></body></html>",
    502: b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>"
         b"<center>nginx</center></body></html>",
    503: b"<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1>"
         b"<p>The server is temporarily busy, try again later.</p></body></html>",
    429: b"<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1>"
         b"<p>You have sent too many requests in a given amount of time.</p></body></html>",
}

# Modelled on the robot check Amazon serves instead of a page (the markers that
# identify it are the real ones: the validateCaptcha form and its wording).
CAPTCHA_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Robot Check</title></head><body>
<div class="a-container a-padding-double-large">
<h4>Enter the characters you see below</h4>
<p class="a-last">Sorry, we just need to make sure you're not a robot. For best results, please make sure
your browser is accepting cookies.</p>
<form method="get" action="/errors/validateCaptcha" name="">
<input type=hidden name="amzn" value="{token}"><input type=hidden name="amzn-r" value="{path}">
<img src="https://images-na.ssl-images-amazon.com/captcha/{token}/Captcha_abcdefg.jpg">
<p>Type the characters you see in this image:</p>
<input autocomplete="off" spellcheck="false" placeholder="Type characters" id="captchacharacters"
 name="field-keywords" type="text"><button type="submit" class="a-button-text">Continue shopping</button>
</form></div></body></html>
"""

# A consent wall: the page is replaced by a dialog that must be accepted first.
CONSENT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Before you continue</title></head><body>
<div class="consent-wall" role="dialog" aria-modal="true" aria-labelledby="consent-title">
<h1 id="consent-title">Before you continue</h1>
<p>We use cookies and data to deliver and maintain our services, measure audience engagement and
show personalised content and ads. If you select "Accept all", we will also use cookies and data to
develop and improve new services. Select "More options" to see additional information, including
details about managing your privacy settings.</p>
<form method="post" action="/consent/save"><input type="hidden" name="continue" value="{path}">
<button name="set_consent" value="reject">Reject all</button>
<button name="set_consent" value="accept">Accept all</button></form>
<a href="/consent/options?continue={path}">More options</a>
</div></body></html>
"""

LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-In</title></head>
<body><div class="auth-page"><h1>Sign in</h1>
<form name="signIn" method="post" action="{path}">
<label for="ap_email">Email or mobile phone number</label><input type="email" name="email" id="ap_email">
<label for="ap_password">Password</label><input type="password" name="password" id="ap_password">
<input type="submit" value="Sign in"></form>
<p>By continuing, you agree to the Conditions of Use and Privacy Notice.</p>
<p>New to our marketplace? <a href="/ap/register">Create your account</a></p></div></body></html>
"""


@dataclass
class Fault:
    """One fault for one URL.

    :param kind: one of :data:`KINDS`
    :param times: fault only the first ``times`` requests, then serve normally (None: always)
    :param since: fault only while the server's clock is at or after this date
    :param seconds: how long ``timeout`` hangs and ``slow_body`` drips (seconds)
    :param retry_after: ``Retry-After`` seconds for ``rate_limited`` (and ``http_503`` if set)
    :param fraction: the share of content blocks ``shrink`` keeps, and of the body ``truncated`` sends
    :param location: where ``offsite_redirect`` points
    :param extra: any other keys of a YAML entry (the tests keep their ``expect`` there)
    """

    kind: str
    times: int | None = None
    since: datetime | None = None
    seconds: float = 60.0
    retry_after: int | None = None
    fraction: float = 0.1
    location: str = "https://evil.attacker.example/collect"
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS and self.kind != "login_page":
            raise ValueError(f"unknown fault {self.kind!r} (one of: {', '.join(KINDS)})")
        if self.kind == "rate_limited" and self.retry_after is None:
            self.retry_after = 1
        if self.since is not None:
            from replay.server import parse_when

            self.since = parse_when(self.since)


def url_key(url: str) -> tuple[str, str]:
    """``(host, path)`` of a URL, the key a fault is matched on (the query is ignored)."""
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.path or "/"


#: What the sign-in page of a host with a ``login_redirect`` serves (not a planned kind of its own).
LOGIN_PAGE_FAULT = Fault("login_page")


class FaultPlan:
    """Which URL gets which fault, and a count of the requests seen.

    :param faults: ``{url: Fault or kind}``
    """

    def __init__(self, faults: dict | None = None):
        self.faults: dict[tuple[str, str], Fault] = {}
        self.urls: dict[tuple[str, str], str] = {}
        self.login_hosts: set[str] = set()
        for url, fault in (faults or {}).items():
            self.add(url, fault)
        #: ``{(host, path): [(monotonic time, fault kind or None), ...]}`` for every request seen
        self.hits: dict[tuple[str, str], list] = {}
        self._served: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def add(self, url: str, fault) -> Fault:
        fault = fault if isinstance(fault, Fault) else Fault(fault)
        key = url_key(url)
        self.faults[key] = fault
        self.urls[key] = url
        if fault.kind == "login_redirect":  # the host serves the sign-in page it sends to
            self.login_hosts.add(key[0])
        return fault

    @classmethod
    def load(cls, path) -> "FaultPlan":
        """Read a plan from a YAML list of ``{url, fault, times?, since?, seconds?, ...}`` entries."""
        import yaml

        entries = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
        if not isinstance(entries, list):
            raise ValueError(f"{path}: a fault plan is a list of entries with 'url' and 'fault'")
        plan = cls()
        fields = {"times", "since", "seconds", "retry_after", "fraction", "location"}
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or "url" not in entry or "fault" not in entry:
                raise ValueError(f"{path}: entry {i + 1} needs 'url' and 'fault'")
            kwargs = {k: v for k, v in entry.items() if k in fields}
            extra = {k: v for k, v in entry.items() if k not in fields | {"url", "fault"}}
            try:
                plan.add(entry["url"], Fault(entry["fault"], extra=extra, **kwargs))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{path}: entry {i + 1} ({entry['url']}): {exc}") from None
        return plan

    def entries(self):
        """``(url, fault)`` for every planned fault, in the order they were added."""
        return [(self.urls[k], f) for k, f in self.faults.items()]

    def requests(self, url: str) -> list[float]:
        """Monotonic times of every request seen for ``url`` (faulted or not)."""
        return [t for t, _ in self.hits.get(url_key(url), [])]

    def hosts_seen(self) -> set[str]:
        return {host for host, _ in self.hits}

    def match(self, host: str, path: str, as_of: datetime) -> Fault | None:
        """Record a request and return the fault to apply to it, if any."""
        key = ((host or "").lower(), path or "/")
        fault = self.faults.get(key)
        if fault is None and key[0] in self.login_hosts and key[1] == LOGIN_PATH:
            fault = LOGIN_PAGE_FAULT
        with self._lock:
            active = fault is not None and (fault.since is None or as_of >= fault.since)
            if active and fault.times is not None:
                served = self._served.get(key, 0)
                self._served[key] = served + 1
                active = served < fault.times
            self.hits.setdefault(key, []).append((time.monotonic(), fault.kind if active else None))
        return fault if active else None


# ---------------------------------------------------------------------------
# Applying a fault: these write to the handler's socket directly.


def apply(handler, fault: Fault, host: str, path: str, query: str, normal) -> None:
    """Answer ``handler``'s request with ``fault``.

    :param handler: the :class:`replay.server.ReplayHandler` of the request
    :param normal: a callable returning the :class:`replay.server.Snapshot` the site would serve
    """
    url = f"https://{host}{path}"
    kind = fault.kind
    stop = handler.server.stopping
    if kind == "login_page":
        return _html(handler, 200, LOGIN_PAGE.format(path=quote(path)).encode())
    if kind == "timeout":
        stop.wait(fault.seconds)
        handler.close_connection = True
        return None
    if kind == "reset":
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()  # with linger 0: an RST, not a FIN
        handler.close_connection = True
        return None
    if kind in ("http_500", "http_502", "http_503"):
        status = int(kind[-3:])
        extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return _html(handler, status, ERROR_PAGES[status], extra)
    if kind == "rate_limited":
        return _html(handler, 429, ERROR_PAGES[429], {"Retry-After": str(fault.retry_after)})
    if kind == "redirect_loop":
        target = url if "pkb-loop=1" in query else url + "?pkb-loop=1"
        return _html(handler, 302, b"", {"Location": target})
    if kind == "login_redirect":
        return _html(handler, 302, b"", {"Location": f"https://{host}{LOGIN_PATH}?openid.return_to={quote(url)}"})
    if kind == "offsite_redirect":
        return _html(handler, 302, b"", {"Location": fault.location})
    if kind == "captcha":
        token = "%08x" % random.Random(url).getrandbits(32)
        return _html(handler, 200, CAPTCHA_PAGE.format(token=token, path=quote(path)).encode())
    if kind == "consent":
        return _html(handler, 200, CONSENT_PAGE.format(path=quote(path)).encode())
    if kind == "empty":
        return _html(handler, 200, b"")
    if kind == "binary":
        return _html(handler, 200, random.Random(url).randbytes(32_768))

    snap = normal()
    content_type = snap.headers.get("Content-Type", "text/html; charset=utf-8")
    if kind == "slow_body":
        return _drip(handler, snap.body, content_type, fault.seconds, stop)
    if kind == "truncated":
        return _truncated(handler, snap.body, content_type, fault.fraction)
    if kind == "no_selectors":
        return _html(handler, 200, strip_ids_and_classes(snap.body), content_type=content_type)
    if kind == "shrink":
        return _html(handler, 200, shrink(snap.body, fault.fraction), content_type=content_type)
    if kind == "wrong_charset":
        text = snap.body.decode("utf-8", errors="replace")
        return _html(handler, 200, text.encode("gbk", errors="replace"), content_type="text/html; charset=utf-8")
    raise AssertionError(f"unhandled fault {kind}")  # pragma: no cover - KINDS and this function agree


def _html(handler, status, body: bytes, headers=None, content_type="text/html; charset=utf-8"):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("X-Replay-As-Of", iso(handler.server.as_of))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _truncated(handler, body, content_type, fraction):
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("X-Replay-As-Of", iso(handler.server.as_of))
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body[: max(1, int(len(body) * fraction))])
    handler.wfile.flush()
    handler.close_connection = True


def _drip(handler, body, content_type, seconds, stop):
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("X-Replay-As-Of", iso(handler.server.as_of))
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.flush()
    deadline = time.monotonic() + seconds
    try:
        for i in range(len(body)):
            if stop.wait(0.5) or time.monotonic() > deadline:
                break
            handler.wfile.write(body[i:i + 1])
            handler.wfile.flush()
    except OSError:  # the client gave up: that is the point
        pass
    handler.close_connection = True


ID_CLASS_RE = re.compile(rb"""\s(?:id|class)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


def strip_ids_and_classes(body: bytes) -> bytes:
    """The page after a "redesign": no ``id`` or ``class`` attribute left anywhere."""
    return ID_CLASS_RE.sub(b"", body)


def shrink(body: bytes, fraction: float) -> bytes:
    """Keep the first ``fraction`` of the page's content blocks, drop the rest (layout kept).

    Blocks are the innermost paragraphs, list items, headings, table rows and
    definition terms/descriptions, so the declared selectors still match.
    """
    import lxml.html

    root = lxml.html.document_fromstring(body)
    tags = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "dt", "dd", "blockquote", "pre"}
    blocks = [el for el in root.iter() if isinstance(el.tag, str) and el.tag in tags
              and not any(isinstance(a.tag, str) and a.tag in tags for a in el.iterancestors())]
    keep = max(1, int(len(blocks) * fraction))
    for el in blocks[keep:]:
        el.drop_tree()
    return lxml.html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>")
