"""The replay server: archived pages under their original URLs, "as of" a date.

These machines have no internet, so spiders are exercised for real over HTTP
against this server. A site folder holds one folder per host, and below it one
folder per URL path, holding snapshots named by the date from which they are
served::

    site/sellercentral.demomart.example/help/account-health/2026-01-15.html
    site/sellercentral.demomart.example/help/account-health/2026-04-01.html
    site/sellercentral.demomart.example/help/prohibited-products/2026-07-01.gone

The page as of date D is the latest snapshot dated on or before D (the same
rule as ``shared/corpus``); before the first snapshot, and from a ``.gone``
marker on, the URL answers 404. A ``<snapshot>.headers`` file beside a snapshot
adds or overrides response headers (``Status: 302`` and ``Location: ...`` make
a redirect; ``Content-Type: text/html; charset=gbk`` an odd encoding).

Pages that differ only by their query string (``?nodeId=``, ``?knowledge_id=``)
each have a folder of their own inside the path's folder, named ``?`` and the
query as requested (a ``/`` in it written ``%2F``)::

    site/seller-us.tiktok.com/university/article/?knowledge_id=10011383&identity=1/2026-01-01.html

A request whose query has such a folder is answered from it, and only from it;
any other query is answered from the path's own snapshots, shared by all queries.

Requests may name the original URL in three ways, all answered the same:
``GET /https://host/path`` (what the spider's rewrite middleware sends),
an absolute-form proxy request ``GET http://host/path``, or ``GET /path``
with ``Host: host``. Responses carry ``ETag`` and ``Last-Modified`` and honour
conditional requests with 304, ``X-Replay-Snapshot-Date`` for the
snapshot's date and ``X-Replay-As-Of`` for the server's clock, which the
spider uses as the observation time of the check (and the archive as the
capture time). The server stands in for a live site, so it sends no
``Memento-Datetime``: archived, that header would contradict the capture time
a Wayback shows.

:func:`respond` gives the same answer without HTTP (``tests/kbfactory.py``
builds test KBs from it).

The clock can be moved while the server runs (``server.as_of = ...`` in
Python, or ``POST /_replay/as-of?date=2026-04-01`` from loopback).

Fault mode: ``ReplayServer(site, as_of, faults=FaultPlan(...))`` (or the path
of a YAML plan) answers chosen URLs with a fault instead of the page: a hang,
a reset, a truncated body, 5xx, 429 with ``Retry-After``, a redirect loop, a
login, captcha or consent page, a page that lost its selectors or shrank. See
:mod:`replay.faults`; the plan also counts every request it sees.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import mimetypes
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from pipeline.http import not_modified
from pipeline.timeutil import iso, parse_when  # parse_when: the replay clock's dates, also for its users

SNAPSHOT_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}(?:T\d{2}:?\d{2}:?\d{2}Z?)?|\d{8}T\d{6}Z)(?:-\d+)?\.([A-Za-z0-9]+)$")

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "htm": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "xml": "application/xml",
}


@dataclass
class Snapshot:
    """What the server answers for one URL at one date."""

    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    valid_from: datetime | None = None


def read_headers_file(path: Path) -> dict:
    headers = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            name, value = line.split(":", 1)
            headers[name.strip()] = value.strip()
    return headers


class DirectorySite:
    """A site folder in the layout described in the module docstring."""

    def __init__(self, root):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"replay site {self.root} is not a folder")

    def folder_for(self, host: str, path: str) -> Path:
        clean = unquote(path).strip("/")
        if ".." in clean.split("/"):
            return self.root / "\0invalid"
        return self.root / host.lower() / (clean or "_root")

    def snapshots(self, host: str, path: str, query: str = ""):
        """All snapshots of a URL, oldest first, as ``(valid_from, file)``: those of its query's own folder
        if it has one (see the module docstring), else the path's."""
        folder = self.folder_for(host, path)
        if query and "\0" not in query:
            own = folder / ("?" + query.replace("/", "%2F"))
            if own.is_dir():
                folder = own
        if not folder.is_dir():
            return []
        found = []
        for f in folder.iterdir():
            m = SNAPSHOT_RE.match(f.name)
            if m and f.is_file():
                found.append((parse_when(m.group(1)), f))
        return sorted(found, key=lambda item: (item[0], item[1].name))

    def resolve(self, host: str, path: str, query: str, as_of: datetime) -> Snapshot:
        current = None
        for valid_from, f in self.snapshots(host, path, query):
            if valid_from <= as_of:
                current = (valid_from, f)
        if current is None:
            return Snapshot(404, b"Not Found\n", {"Content-Type": "text/plain; charset=utf-8"})
        valid_from, f = current
        ext = f.suffix.lstrip(".").lower()
        if ext == "gone":
            return Snapshot(404, b"Not Found\n", {"Content-Type": "text/plain; charset=utf-8"}, valid_from)
        headers = {
            "Content-Type": CONTENT_TYPES.get(ext) or mimetypes.guess_type(f.name)[0] or "application/octet-stream"
        }
        sidecar = f.with_name(f.name + ".headers")
        status = 200
        if sidecar.exists():
            extra = read_headers_file(sidecar)
            status = int(extra.pop("Status", 200))
            headers.update(extra)
        return Snapshot(status, f.read_bytes(), headers, valid_from)


def respond(site, as_of, host: str, path: str, query: str = "", request_headers=None) -> tuple[int, dict, bytes]:
    """What the server answers a GET of ``host``/``path`` at ``as_of`` (fault mode aside): a pure function.

    Adds ``X-Replay-As-Of``, ``X-Replay-Snapshot-Date``, ``ETag`` and ``Last-Modified``
    to the snapshot's headers, and answers a conditional request that matches
    with 304 (no body, no ``Content-Type``). The HTTP layer adds only
    ``Server``, ``Date`` and ``Content-Length`` (none on a 304).

    :param site: a :class:`DirectorySite` (or an object with ``resolve(host, path, query, as_of)``)
    :param as_of: the server's clock (a datetime, or a date string :func:`parse_when` reads)
    :param request_headers: the request's headers (any mapping; names are matched without case)
    :returns: ``(status, headers, body)``
    """
    as_of = parse_when(as_of)
    snap = site.resolve(host, path, query, as_of)
    headers = dict(snap.headers)
    headers["X-Replay-As-Of"] = iso(as_of)
    if snap.valid_from is not None:
        headers["X-Replay-Snapshot-Date"] = iso(snap.valid_from)
    if snap.status == 200:
        etag = '"' + hashlib.sha1(snap.body).hexdigest()[:20] + '"'
        headers.setdefault("ETag", etag)
        headers.setdefault("Last-Modified", email.utils.format_datetime(snap.valid_from, usegmt=True))
        if not_modified(request_headers or {}, headers):
            return 304, {k: v for k, v in headers.items() if k != "Content-Type"}, b""
    return snap.status, headers, snap.body


class ReplayHandler(BaseHTTPRequestHandler):
    server_version = "policykb-replay/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - signature from BaseHTTPRequestHandler
        if self.server.verbose:
            super().log_message(format, *args)

    def _target(self):
        raw = self.path
        if raw.startswith("/http://") or raw.startswith("/https://"):
            raw = raw[1:]
        if raw.startswith("http://") or raw.startswith("https://"):
            parts = urlsplit(raw)
            return parts.hostname or "", parts.path, parts.query
        parts = urlsplit(raw)
        host = (self.headers.get("Host") or "").split(":")[0]
        return host, parts.path, parts.query

    def _send(self, status, body: bytes, headers: dict, head_only=False):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only and status != 304:
            self.wfile.write(body)

    def do_POST(self):
        parts = urlsplit(self.path)
        if parts.path == "/_replay/as-of":
            date = parse_qs(parts.query).get("date", [""])[0]
            try:
                self.server.as_of = parse_when(date)
            except ValueError as exc:
                return self._send(400, f"{exc}\n".encode(), {"Content-Type": "text/plain"})
            return self._send(200, json.dumps({"as_of": iso(self.server.as_of)}).encode(), {"Content-Type": "application/json"})
        self._send(405, b"Method Not Allowed\n", {"Content-Type": "text/plain"})

    def do_HEAD(self):
        self.do_GET(head_only=True)

    def do_GET(self, head_only=False):
        if self.path.startswith("/_replay/status"):
            body = json.dumps({"as_of": iso(self.server.as_of), "site": str(self.server.site.root)}).encode()
            return self._send(200, body, {"Content-Type": "application/json"}, head_only)
        host, path, query = self._target()
        as_of = self.server.as_of
        plan = self.server.faults
        fault = plan.match(host, path, as_of) if plan is not None else None
        if fault is not None:
            from replay import faults

            return faults.apply(self, fault, host, path, query,
                                lambda: self.server.site.resolve(host, path, query, as_of))
        status, headers, body = respond(self.server.site, as_of, host, path, query, self.headers)
        self._send(status, body, headers, head_only)


class ReplayServer(ThreadingHTTPServer):
    """A replay server bound to 127.0.0.1. ``as_of`` may be changed while it runs."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, site, as_of, port=0, host="127.0.0.1", verbose=False, faults=None):
        """
        :param site: a site folder (or an object with ``resolve(host, path, query, as_of)``)
        :param as_of: the server's clock: pages are served as of this date
        :param faults: a :class:`replay.faults.FaultPlan`, or the path of a YAML plan (fault mode)
        """
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the replay server listens on loopback only")
        self.site = DirectorySite(site) if isinstance(site, (str, Path)) else site
        self.as_of = parse_when(as_of)
        self.verbose = verbose
        if isinstance(faults, (str, Path)):
            from replay.faults import FaultPlan

            faults = FaultPlan.load(faults)
        self.faults = faults
        self.stopping = threading.Event()  # ends the hangs of fault mode when the server stops
        super().__init__((host, port), ReplayHandler)

    def handle_error(self, request, client_address):
        """A client that hung up (as crawlers do on a fault) is not a server error."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ReplayServer":
        """Serve in a background thread; returns self (use as a context manager to stop)."""
        self._thread = threading.Thread(target=self.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
