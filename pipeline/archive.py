"""The archive: every fetch written as it came to WARC files, append-only.

The WARCs are the source of truth; the KB is derived from them and can be
rebuilt (``policykb rebuild``). One crawl writes one file,
``DATA/warcs/policykb-<UTC time>-<pid>.warc.gz``. While the crawl runs the
file is named ``….warc.gz.open``; it is renamed when the crawl closes, and the
builder reads only closed files, so it never sees a half-written record.

A crawl holds an exclusive ``flock`` on its ``.open`` file for as long as it
lives (it takes the lock before the file gets that name), and the kernel
drops the lock when the process dies, however it dies. So an ``.open`` file
whose lock is free belongs to a killed crawl: :func:`salvage_abandoned` cuts
it after its last complete record (each record is one gzip member) and closes
it, and its fetches reach the KB like any others.

Record kinds:

* ``response``: the HTTP response with headers and body (the body as Scrapy
  delivered it, i.e. decoded from any ``Content-Encoding``; the header is
  kept as ``X-PolicyKB-Original-Content-Encoding``);
* ``revisit`` with profile *identical-payload-digest*: the payload is
  byte-identical to the last one archived for the document (no copy stored);
* ``revisit`` with profile *server-not-modified*: the server answered 304 to
  our conditional request. Its block is empty (no HTTP header block), so a
  Wayback replays the page it refers to with that page's own headers (pywb
  shows a revisit's own 3xx status instead of resolving it, a blank page);
  the 304's status line and headers are kept in a ``metadata`` record
  (``application/http``) ``WARC-Concurrent-To`` it;
* ``response`` records of the redirects a fetch followed (the declared URL's
  3xx answer, each under its own URL), before the fetch's own record; they
  carry ``PolicyKB-Redirect-Of`` (the document) instead of
  ``PolicyKB-Document``, so the builder passes over them;
* ``metadata`` (``application/json``): a fetch that produced no response at
  all (timeout, DNS, connection refused, a refused redirect), with the error
  (``WARC-Concurrent-To`` the last redirect it followed, if any); also a 304
  with no archived 200 of the page to refer to (:data:`NO_PRIOR_304`): a
  revisit of nothing would replay as a broken capture and build no text.

A ``metadata`` record's ``WARC-Target-URI`` is never the page's URL but a
``urn:policykb:…`` name (:func:`metadata_uri`), so indexers (cdxj-indexer,
pywb) do not list it as a capture of the page; the page's URL is in
``PolicyKB-Page-URL``.

Every fetch's record carries ``PolicyKB-Document`` (``platform/document``) and
``PolicyKB-Observed-At`` (when the check happened: the replay server's clock
in replay mode, else the fetch time), so the KB can be rebuilt from the
WARCs alone. ``WARC-Date`` is that same moment, the capture time a Wayback
shows; when the fetch really happened at another time (a replay crawl) that
time is in ``PolicyKB-Fetched-At``. (WARCs written before these rules, with
the page URL on metadata records, a 304 header block and ``WARC-Date`` the
fetch time, read back the same.)

:class:`ValidatorIndex` keeps, per document, the last archived payload digest
and the ``ETag``/``Last-Modified`` validators for conditional requests. It is
a cache: if it is missing it is rebuilt by scanning the WARCs.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import os
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from pipeline.timeutil import now_iso

logger = logging.getLogger(__name__)

NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection", "keep-alive"}


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of ``body``: ``sha1:<base32>``, as warcio writes it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


#: Our own headers on WARC records (the ``PolicyKB-`` names are listed in the module docstring).
PAGE_URL_HEADER = "PolicyKB-Page-URL"
FETCHED_AT_HEADER = "PolicyKB-Fetched-At"
REDIRECT_OF_HEADER = "PolicyKB-Redirect-Of"
NOT_MODIFIED_OF_HEADER = "PolicyKB-Not-Modified-Of"
#: The error of a 304 that has no archived 200 of the page to refer to (a failure record, never a revisit).
NO_PRIOR_304 = ("HTTP 304 Not Modified, but the archive holds no earlier 200 of this page to refer to"
                " (its WARC lost or moved, or the server answered 304 unasked): the page is not known;"
                " the next crawl asks for it whole")


def metadata_uri(kind: str, name: str) -> str:
    """The ``WARC-Target-URI`` of a metadata record: ``urn:policykb:<kind>:<name>``, never a page's URL.

    :param kind: ``failure``, ``not-modified`` or ``discovery``
    :param name: the document id (or platform id) the record is about
    """
    from urllib.parse import quote

    return f"urn:policykb:{kind}:{quote(name, safe='/-._~')}"


#: The data folder's layout: WARCs in ``DATA/warcs``, each crawl's statistics in ``DATA/runs/<run id>.json``.
WARC_DIR = "warcs"
RUNS_DIR = "runs"


def warc_dir(data_dir) -> Path:
    return Path(data_dir) / WARC_DIR


@dataclass
class Fetch:
    """One fetch attempt, as the spider hands it to the archive.

    ``status`` is 0 and ``error`` set when no response arrived.
    """

    document: str
    url: str
    final_url: str
    status: int
    headers: list = field(default_factory=list)
    body: bytes = b""
    fetched_at: str = ""
    observed_at: str = ""
    error: str | None = None
    locale: str | None = None
    #: the redirects followed before this fetch's response (or failure), first first: dicts with
    #: ``url``, ``status``, ``headers`` (pairs) and ``body``, as :class:`spiders.middlewares.RedirectRecorder` keeps them
    redirects: list = field(default_factory=list)


@dataclass
class Snapshot:
    """A snapshot: one fetch as archived (a WARC record read back: the response as it came, a revisit, or
    the failure), with where it lives. What it meant for its document is a check (``checks``)."""

    record_id: str
    warc_file: str
    offset: int
    kind: str  # response | revisit | not-modified | failure
    document: str
    url: str
    status: int
    headers: list
    body: bytes
    fetched_at: str
    observed_at: str
    payload_digest: str | None = None
    refers_to: str | None = None
    error: str | None = None
    warc_date: str | None = None  # the capture time a Wayback shows (``WARC-Date``)
    #: the URL the declaration asked for (``PolicyKB-Declared-URL``; ``url`` is where the response came from,
    #: after redirects); None in WARCs written before the header
    declared_url: str | None = None

    def header(self, name, default=None):
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return default


class ValidatorIndex:
    """Per-document state of the archive: last payload digest, validators, record id."""

    def __init__(self, data_dir):
        self.path = warc_dir(data_dir) / "index.json"
        self.data_dir = data_dir
        self.entries: dict[str, dict] = {}
        self._files: dict[str, bool] = {}
        if self.path.exists():
            try:
                self.entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}
        if not self.entries and any(closed_warcs(data_dir)):
            self.rescan()

    def rescan(self):
        """Rebuild the index from the closed WARC files."""
        self.entries = {}
        for record in iter_records(self.data_dir):
            self.update_from_record(record)
        self.save()

    def update_from_record(self, record: Snapshot):
        if record.kind == "response":
            self.entries[record.document] = _index_entry(
                record.url, record.payload_digest, record.record_id, record.warc_date or record.fetched_at,
                record.status, record.headers, record.warc_file,
            )

    def get(self, document) -> dict | None:
        """The document's last archived response, or None when there is none to refer to.

        An entry whose WARC file is no longer in the data folder (lost, or moved away) is not returned: a
        conditional request or a revisit built on it would point at a record nobody can read, so the next
        fetch asks for the whole page again. (Entries written before the index named files are trusted.)
        """
        entry = self.entries.get(document)
        name = entry.get("warc_file") if entry else None
        if name and not self._present(name):
            return None
        return entry

    def _present(self, name) -> bool:
        """Whether the WARC file ``name`` is in the data folder (looked up once per file: a crawl asks for each of
        its documents, and a cycle's documents are mostly in one or two files)."""
        present = self._files.get(name)
        if present is None:
            path = warc_dir(self.data_dir) / name
            present = self._files[name] = path.exists() or path.with_name(name + ".open").exists()
        return present

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.entries, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)


def closed_warcs(data_dir):
    """The closed WARC files, oldest first (names sort by creation time)."""
    folder = warc_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.warc.gz"))


def complete_length(fh) -> tuple[int, int]:
    """Where the last complete gzip member of a file ends, and how many members come before it.

    A WARC written by :class:`WarcArchive` has one gzip member per record, so
    this is the end of its last whole record; what follows was cut short.
    """
    fh.seek(0)
    end = members = position = 0
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    pending = b""
    while True:
        chunk = pending or fh.read(1 << 20)
        pending = b""
        if not chunk:
            return end, members
        try:
            inflater.decompress(chunk)
        except zlib.error:
            return end, members
        if inflater.eof:
            used = len(chunk) - len(inflater.unused_data)
            position += used
            end, members = position, members + 1
            pending = inflater.unused_data
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        else:
            position += len(chunk)


def salvage_abandoned(data_dir) -> list[tuple[str, int, int]]:
    """Close the ``.open`` WARC files of crawls that were killed, keeping their complete records.

    A file whose crawl is alive is locked and left alone. Returns, per
    salvaged file, ``(closed name, complete records, bytes cut off)``.
    """
    folder = warc_dir(data_dir)
    salvaged = []
    for path in sorted(folder.glob("*.warc.gz.open")) if folder.is_dir() else []:
        try:
            fh = open(path, "r+b")
        except FileNotFoundError:  # closed by its crawl meanwhile
            continue
        with fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a crawl is writing it
            if not path.exists():  # closed (renamed) by its crawl just before we locked it
                continue
            size = os.fstat(fh.fileno()).st_size
            end, members = complete_length(fh)
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
            final = path.with_name(path.name[: -len(".open")])
            os.replace(path, final)
            salvaged.append((final.name, max(0, members - 1), size - end))  # past the warcinfo record
            logger.warning("salvaged %s, left by a crawl that was killed: %d record(s) kept, %d byte(s) of a "
                           "cut record dropped", final.name, max(0, members - 1), size - end)
    for stale in folder.glob("*.warc.gz.new") if folder.is_dir() else []:
        try:
            with open(stale, "rb") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                stale.unlink()  # a crawl killed before it wrote anything
        except (BlockingIOError, FileNotFoundError):
            pass
    return salvaged


#: Discovery's WARC files (``discovery-<time>-<pid>.warc.gz``, beside the crawl's): pages seen and their policy links.
DISCOVERY_PREFIX = "discovery-"
#: The header that marks a discovery record (its platform), in place of ``PolicyKB-Document``.
DISCOVERY_HEADER = "PolicyKB-Discovery-Platform"


#: The zlib level of each record's gzip member. warcio's own writer compresses at 9, which cost 4.9 ms of CPU per
#: page of 86 KB against 1.3 ms at 3, for 14 % more bytes (the 200 pages of the peers' N = 200 first cycle; 6 cost
#: 4.1 ms, 1 cost 0.9 ms for 26 % more): the crawl's one process compresses every page it archives.
GZIP_LEVEL = 3


class WarcFile:
    """A new WARC file, written by one process: the one way policykb writes WARCs.

    Named ``<prefix><UTC time>-<pid>.warc.gz`` in the data folder's ``warcs/`` (names sort in creation
    order), one gzip member per record, opening with a ``warcinfo`` record. While written it is
    ``….warc.gz.open`` and locked, so :func:`salvage_abandoned` leaves it alone while its writer lives;
    :meth:`close` renames it, which is when builders see it.

    :param data_dir: the ``--data`` folder
    :param prefix: the file name's start (``policykb-`` for fetches, :data:`DISCOVERY_PREFIX`)
    :param info: the ``warcinfo`` record's fields
    """

    def __init__(self, data_dir, prefix: str, info: dict):
        folder = warc_dir(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")  # names sort in creation order
        self.final_path = folder / f"{prefix}{stamp}-{os.getpid()}.warc.gz"
        self.path = self.final_path.with_name(self.final_path.name + ".open")
        # locked under a name nobody reads, then renamed: an .open file is never seen unlocked while alive
        starting = self.final_path.with_name(self.final_path.name + ".new")
        self._file = open(starting, "ab")
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.replace(starting, self.path)
        self._writer = WARCWriter(self._file, gzip=False, warc_version="1.1")  # makes records; _write writes them
        self.records = 0  # records written after the warcinfo one
        self._write(self._writer.create_warcinfo_record(self.final_path.name, info))

    def metadata_record(self, uri: str, payload: bytes, headers: dict, content_type="application/json"):
        """A ``metadata`` record holding ``payload`` (JSON unless said otherwise; not yet written).

        :param uri: its ``WARC-Target-URI``: a :func:`metadata_uri`, not a page's URL (indexers would list it as
            a capture of the page)
        """
        return self._writer.create_warc_record(
            uri, "metadata", payload=BytesIO(payload), length=len(payload),
            warc_content_type=content_type, warc_headers_dict=headers,
        )

    def _write(self, record) -> None:
        """Append ``record`` as one gzip member (:data:`GZIP_LEVEL`): warcio's bytes for it, compressed here, in one
        write, flushed (a killed crawl keeps every record written)."""
        buffer = BytesIO()
        WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(record)
        deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        self._file.write(deflate.compress(buffer.getvalue()) + deflate.flush())
        self._file.flush()

    def write_record(self, record) -> str:
        """Append ``record`` (see :meth:`_write`); returns its WARC-Record-ID."""
        self._write(record)
        self.records += 1
        return record.rec_headers.get_header("WARC-Record-ID")

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self):
        """Close the file and make it visible to the builder."""
        if self._file.closed:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.path, self.final_path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class WarcArchive(WarcFile):
    """Appends fetches to a new WARC file; use as a context manager.

    :param data_dir: the ``--data`` folder
    :param index: the :class:`ValidatorIndex` to consult and update
    """

    def __init__(self, data_dir, index: ValidatorIndex | None = None):
        self.data_dir = Path(data_dir)
        self.index = index or ValidatorIndex(data_dir)
        super().__init__(data_dir, "policykb-", {"software": "policykb", "format": "WARC File Format 1.1"})

    def write(self, fetch: Fetch) -> str:
        """Archive one fetch (after the redirects it followed); returns the WARC-Record-ID of its own record."""
        captured = fetch.observed_at or fetch.fetched_at or now_iso()
        common = {"PolicyKB-Observed-At": captured, "WARC-Date": captured}
        if fetch.fetched_at and fetch.fetched_at != captured:
            common[FETCHED_AT_HEADER] = fetch.fetched_at
        last_hop = None
        for hop in fetch.redirects:
            last_hop = self.write_record(self._writer.create_warc_record(
                hop["url"], "response", payload=BytesIO(hop.get("body") or b""), length=len(hop.get("body") or b""),
                http_headers=_http_headers(hop["status"], hop.get("headers") or [], hop.get("body") or b""),
                warc_headers_dict={**common, REDIRECT_OF_HEADER: fetch.document},
            ))
        extra = {**common, "PolicyKB-Document": fetch.document, "PolicyKB-Declared-URL": fetch.url}
        if fetch.locale:
            extra["PolicyKB-Locale"] = fetch.locale
        uri = fetch.final_url or fetch.url
        previous = self.index.get(fetch.document)
        builder = self._writer
        if fetch.status == 304 and not (previous and previous.get("status", 200) == 200):
            # nothing archived to be "not modified" against: a failed check, never a version nor a capture
            fetch = replace(fetch, status=0, error=NO_PRIOR_304)

        if fetch.status == 0:
            body = json.dumps({"error": fetch.error or "no response", "url": fetch.url}).encode("utf-8")
            extra[PAGE_URL_HEADER] = uri
            if last_hop:
                extra["WARC-Concurrent-To"] = last_hop
            return self.write_record(self.metadata_record(metadata_uri("failure", fetch.document), body, extra))
        http_headers = _http_headers(fetch.status, fetch.headers, fetch.body)
        digest = payload_digest(fetch.body)
        if fetch.status == 304:  # with an archived 200 to refer to (else a failure, above)
            return self._write_not_modified(fetch, previous, uri, extra, common, http_headers)
        if previous and previous["payload_digest"] == digest and previous.get("status", 200) == fetch.status:
            record = builder.create_revisit_record(
                uri, digest, previous["url"], previous["date"], http_headers=http_headers, warc_headers_dict=extra,
            )
            record.rec_headers.add_header("WARC-Refers-To", previous["record_id"])
        else:
            record = builder.create_warc_record(
                uri, "response", payload=BytesIO(fetch.body), length=len(fetch.body),
                http_headers=http_headers, warc_headers_dict=extra,
            )
        record_id = self.write_record(record)
        if record.rec_type == "response":
            self.index.entries[fetch.document] = _index_entry(
                uri, record.rec_headers.get_header("WARC-Payload-Digest"), record_id,
                record.rec_headers.get_header("WARC-Date"), fetch.status, fetch.headers, self.final_path.name,
            )
        return record_id

    def _write_not_modified(self, fetch, previous, uri, extra, common, http_headers) -> str:
        """A 304 as a server-not-modified revisit of the archived 200, its own headers in a metadata record."""
        # no header block: a Wayback replays the page referred to (see the module docstring)
        record = self._writer.create_revisit_record(
            uri, previous["payload_digest"], previous["url"], previous["date"], warc_headers_dict=extra,
        )
        record.rec_headers.replace_header("WARC-Profile", NOT_MODIFIED_PROFILE)
        record.rec_headers.add_header("WARC-Refers-To", previous["record_id"])
        record_id = self.write_record(record)
        self.write_record(self.metadata_record(
            metadata_uri("not-modified", fetch.document), http_headers.to_bytes(),
            {**common, NOT_MODIFIED_OF_HEADER: fetch.document, PAGE_URL_HEADER: uri,
             "WARC-Concurrent-To": record_id}, content_type="application/http; msgtype=response"))
        return record_id

    def close(self):
        """Close the file, make it visible to the builder and save the validator index."""
        if self._file.closed:
            return
        super().close()
        self.index.save()


def _index_entry(url, digest, record_id, date, status, headers, warc_file=None) -> dict:
    """What the index keeps of a document's last archived response (and the WARC file it is in).

    Validators are kept only from a 200, so a conditional request is only
    sent when there is a page to be "not modified" against.
    """
    ok = status == 200
    return {
        "url": url, "payload_digest": digest, "record_id": record_id, "date": date, "status": status,
        "warc_file": warc_file,
        "etag": _header(headers, "ETag") if ok else None,
        "last_modified": _header(headers, "Last-Modified") if ok else None,
    }


def _http_headers(status: int, headers, body: bytes) -> StatusAndHeaders:
    """The HTTP header block of a record: the response's headers as they came, less hop-by-hop ones (the body is
    stored decoded, its ``Content-Encoding`` kept as ``X-PolicyKB-Original-Content-Encoding``), with the stored
    body's length."""
    kept = [(k, v) for k, v in headers if k.lower() not in HOP_HEADERS]
    kept += [("X-PolicyKB-Original-Content-Encoding", v) for k, v in headers if k.lower() == "content-encoding"]
    if status != 304:
        kept.append(("Content-Length", str(len(body))))
    return StatusAndHeaders(f"{status} {_reason(status)}", kept, protocol="HTTP/1.1")


def _header(headers, name):
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _reason(status):
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _to_record(rec, warc_file, offset, body=None) -> Snapshot | None:
    h = rec.rec_headers
    document = h.get_header("PolicyKB-Document")
    if not document:
        return None
    if body is None:
        body = rec.content_stream().read()
    common = dict(
        record_id=h.get_header("WARC-Record-ID"), warc_file=warc_file, offset=offset, document=document,
        url=h.get_header(PAGE_URL_HEADER) or h.get_header("WARC-Target-URI"),
        fetched_at=h.get_header(FETCHED_AT_HEADER) or h.get_header("WARC-Date"),
        observed_at=h.get_header("PolicyKB-Observed-At") or h.get_header("WARC-Date"),
        payload_digest=h.get_header("WARC-Payload-Digest"), warc_date=h.get_header("WARC-Date"),
        declared_url=h.get_header("PolicyKB-Declared-URL"),
    )
    if rec.rec_type == "metadata":
        try:
            error = json.loads(body.decode("utf-8")).get("error")
        except ValueError:
            error = "unreadable failure record"
        return Snapshot(kind="failure", status=0, headers=[], body=b"", error=error, **common)
    status = int(rec.http_headers.get_statuscode() or 0) if rec.http_headers else 0
    headers = list(rec.http_headers.headers) if rec.http_headers else []
    if rec.rec_type == "revisit":
        profile = h.get_header("WARC-Profile") or ""
        kind = "not-modified" if profile.endswith("server-not-modified") else "revisit"
        if kind == "not-modified":
            status = 304  # the 304's own headers are in a metadata record beside it (older WARCs: in the block)
        return Snapshot(kind=kind, status=status, headers=headers, body=b"",
                              refers_to=h.get_header("WARC-Refers-To"), **common)
    if rec.rec_type == "response":
        return Snapshot(kind="response", status=status, headers=headers, body=body, **common)
    return None


def iter_records(data_dir, files=None):
    """Yield every policykb record of the closed WARCs, in archive order.

    :param files: optional list of WARC paths to read (default: all closed files)
    """
    for path in files if files is not None else closed_warcs(data_dir):
        path = Path(path)
        with open(path, "rb") as fh:
            iterator = ArchiveIterator(fh)
            for rec in iterator:
                body = rec.content_stream().read()  # before get_record_offset(), which reads to the end
                record = _to_record(rec, path.name, iterator.get_record_offset(), body)
                if record is not None:
                    yield record


def read_record(data_dir, warc_file, offset) -> Snapshot:
    """Read back the one record at ``offset`` of ``warc_file``."""
    with open(warc_dir(data_dir) / warc_file, "rb") as fh:
        fh.seek(offset)
        for rec in ArchiveIterator(fh):
            record = _to_record(rec, warc_file, offset)
            if record is None:
                raise LookupError(f"{warc_file}@{offset} is not a policykb record")
            return record
    raise LookupError(f"no record at {warc_file}@{offset}")
