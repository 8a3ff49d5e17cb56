"""Access: the published KB is read-only without authentication, and the crawler stays where it is told.

* ``policykb serve`` listens on loopback only; every route (Datasette's and our
  plugins', found by asking the plugins for them) is tried with GET, POST, PUT,
  PATCH and DELETE, without credentials, and so is SQL that writes: the KB's
  content and the data folder must be byte-for-byte what they were.
* The crawler: TrapMart's hub (``tests/fixtures/faults_site/help.trapmart.example``)
  links off its domain in every way a page can, a page refreshes to another host,
  one redirects to a cloud metadata address; discovery must fetch nothing but
  ``help.trapmart.example``, within its declared depth and page budget, and no
  command-line input can name another URL.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import ROOT, copy_data, free_port, rows
from replay.faults import FaultPlan
from replay.server import ReplayServer

pytestmark = pytest.mark.slow

SITE = ROOT / "tests" / "fixtures" / "faults_site"
TRAP = ROOT / "tests" / "fixtures" / "faults_sources" / "access"
TRAP_BUDGET = ROOT / "tests" / "fixtures" / "faults_sources" / "access_budget"
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
SAMPLES = {"platform": "demomart", "document": "account-health", "seq": "1", "from": "1", "to": "2",
           "concept": "counterfeit", "id": "1", "name": "x", "key": "x"}


def fingerprint(data: Path) -> tuple[str, list]:
    """The KB's content (an SQL dump, hashed) and the data folder's files with sizes."""
    conn = sqlite3.connect(data / "policykb.db")
    try:
        digest = hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()
    files = sorted((str(p.relative_to(data)), p.stat().st_size) for p in data.rglob("*")
                   if p.is_file() and not p.name.endswith(("-wal", "-shm")))
    return digest, files


@pytest.fixture(scope="module")
def served(demo_kb, tmp_path_factory):
    """A copy of the demo KB published by a real ``policykb serve``; yields (base URL, data folder)."""
    data = tmp_path_factory.mktemp("access") / "data"
    copy_data(demo_kb, data)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--data", str(data), "--port", str(port)],
                            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"policykb serve exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    yield base, data, port
    proc.terminate()
    proc.wait(timeout=10)


def route_paths() -> list[str]:
    """A concrete path for every route our Datasette plugins register (so a new route is tested too)."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    ds = Datasette([], metadata=yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8")))
    paths = []
    for routes in pm.hook.register_routes(datasette=ds):
        for pattern, _view in routes or []:
            pattern = pattern.pattern if hasattr(pattern, "pattern") else pattern
            paths.append(concrete(pattern))
    return sorted(set(paths))


def concrete(pattern: str) -> str:
    """``^/-/x/(?P<platform>[a-z]+)\\.atom$`` → ``/-/x/demomart.atom``."""
    out, i = [], 0
    pattern = pattern.lstrip("^").rstrip("$")
    while i < len(pattern):
        if pattern.startswith("(?P<", i):
            name = pattern[i + 4:pattern.index(">", i)]
            depth, j = 0, i
            while True:  # the group's closing parenthesis
                if pattern[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(pattern[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append(SAMPLES.get(name, "1"))
            i = j + 1
        elif pattern[i] == "\\":
            out.append(pattern[i + 1])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


# Datasette's own endpoints that act on POST, its 1.0 write API (absent from 0.65: must stay absent),
# and paths a "trigger a crawl" feature would plausibly take.
WRITE_PATHS = [
    "/-/create", "/policykb/-/create", "/policykb/versions/-/insert", "/policykb/versions/-/upsert",
    "/policykb/versions/-/drop", "/policykb/checks/-/insert", "/policykb/versions/demomart~2Faccount-health"
    "~2F20260115T000000Z/-/update", "/policykb/versions/demomart~2Faccount-health~2F20260115T000000Z/-/delete",
    "/policykb/-/query", "/policykb", "/policykb/versions", "/-/permissions", "/-/allow-debug", "/-/messages",
    "/-/logout", "/-/auth-token", "/-/policykb/crawl", "/-/policykb/run", "/-/policykb/build", "/-/policykb/refresh",
    "/-/policykb/admin", "/-/crawl", "/-/run",
]
WRITE_SQL = [
    "delete from versions", "update documents set state = 'gone'", "insert into checks(document_id) values ('x')",
    "drop table versions", "create table pwned(x)", "pragma writable_schema = 1", "attach database '/tmp/pkb-pwn.db' as x",
    "vacuum into '/tmp/pkb-pwn.db'", "select load_extension('/tmp/pkb-pwn')", "pragma journal_mode = delete",
    "select writefile('/tmp/pkb-pwn', 'x')", "with x as (select 1) delete from changes",
]


def test_serve_listens_on_loopback_only(served):
    base, data, port = served
    import psutil

    addresses = {a.address for addrs in psutil.net_if_addrs().values() for a in addrs
                 if a.family == socket.AF_INET and not a.address.startswith("127.")}
    if not addresses:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    for address in addresses:
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((address, port)) != 0, f"policykb serve answers on {address}:{port}"


def test_nobody_is_signed_in(served):
    base, _, _ = served
    assert httpx.get(base + "/-/actor.json", timeout=30).json() == {"actor": None}


def test_sql_that_writes_is_refused(served):
    base, data, _ = served
    before = fingerprint(data)
    for sql in WRITE_SQL:
        response = httpx.get(base + "/policykb.json", params={"sql": sql}, timeout=30)
        body = response.json() if "json" in response.headers.get("content-type", "") else {}
        assert response.status_code >= 400 or body.get("ok") is False, (sql, response.status_code, body)
        response = httpx.post(base + "/policykb.json", data={"sql": sql}, timeout=30)
        assert response.status_code in (400, 401, 403, 404, 405), (sql, response.status_code)
    assert fingerprint(data) == before
    assert not Path("/tmp/pkb-pwn.db").exists() and not Path("/tmp/pkb-pwn").exists()


def test_no_route_writes_without_authentication(served):
    base, data, _ = served
    before = fingerprint(data)
    paths = route_paths()
    assert "/-/policykb" in paths and any(p.startswith("/-/policykb/doc/") for p in paths), paths
    tried = 0
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        for path in paths + WRITE_PATHS:
            for method in ("POST", "PUT", "PATCH", "DELETE"):
                payload = {"rows": [{"id": "pwned"}], "row": {"state": "gone"}, "sql": "delete from versions",
                           "crawl": True}
                response = client.request(method, path, json=payload)
                if response.is_redirect:  # follow once, with the same method and body
                    response = client.request(method, response.headers["location"], json=payload)
                tried += 1
                if path not in WRITE_PATHS or path in ("/-/messages", "/-/logout"):
                    continue  # a page of ours may answer any method: the fingerprint below says if it wrote
                # a write-shaped path that accepts an anonymous request is an open door, written or not.
                # (Datasette 0.65 refuses a POST to a table page with a 500: "You may only POST to a
                # canned query"; a refusal all the same.)
                assert response.status_code >= 400, (method, path, response.status_code)
            client.get(path)  # GET must not write either (checked by the fingerprint below)
    assert tried >= 4 * len(WRITE_PATHS)
    assert fingerprint(data) == before, "a request without credentials changed the KB or the data folder"


def test_writable_canned_queries_require_a_signed_in_actor():
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    for db_name, db in (metadata.get("databases") or {}).items():
        for name, query in (db.get("queries") or {}).items():
            if isinstance(query, dict) and query.get("write"):
                allow = query.get("allow")
                assert allow not in (None, True, {}) and allow != {"id": "*"}, \
                    f"canned query {db_name}/{name} writes and is open to anyone"


# ---------------------------------------------------------------------------
# The crawler


def crawl(data, sources, plan, *extra, check=True):
    with ReplayServer(SITE, "2026-01-01", faults=plan) as server:
        result = subprocess.run([sys.executable, "-m", "kb.cli", "crawl", "--data", str(data), "--sources",
                                 str(sources), "--replay", server.url, "--log-level", "ERROR", *extra],
                                cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=240)
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def trap_crawl(tmp_path_factory):
    data = tmp_path_factory.mktemp("trap") / "data"
    plan = FaultPlan()  # no faults: only its log of every request
    crawl(data, TRAP, plan)
    subprocess.run([sys.executable, "-m", "kb.cli", "build", "--data", str(data)], cwd=ROOT, env=ENV, check=True,
                   capture_output=True, timeout=240)
    return data, plan


def test_discovery_never_leaves_the_declared_domain(trap_crawl):
    data, plan = trap_crawl
    assert plan.hosts_seen() == {"help.trapmart.example"}, plan.hosts_seen()
    fetched = {path for _, path in plan.hits}
    assert "/hub" in fetched and "/policy/p20" in fetched, sorted(fetched)
    found = rows(data / "policykb.db", "select url from discovered_documents") if rows(
        data / "policykb.db", "select name from sqlite_master where name = 'discovered_documents'") else []
    assert found, "discovery recorded nothing"
    assert all(re.match(r"^https://help\.trapmart\.example/", f["url"]) for f in found), found


def test_discovery_stays_within_its_depth(trap_crawl):
    """depth 2: the hub (0) → chain/1 (1) → chain/2 and deep1 (2); chain/3 and deep2 are 3 hops away."""
    _, plan = trap_crawl
    fetched = {path for _, path in plan.hits}
    assert {"/chain/1"} <= fetched, sorted(fetched)
    assert not {"/chain/3", "/chain/4", "/chain/5", "/policy/deep2", "/policy/deep3"} & fetched, sorted(fetched)


def test_redirects_and_refreshes_to_other_hosts_are_failed_checks(trap_crawl):
    data, _ = trap_crawl
    checks = {c["document_id"]: c for c in rows(data / "policykb.db", "select * from checks")}
    for doc in ("trapmart/refresh", "trapmart/metadata"):
        assert checks[doc]["outcome"] == "failed", checks[doc]
        assert re.search("outside|offsite|domain", checks[doc]["reason"], re.I), checks[doc]["reason"]
    assert checks["trapmart/terms"]["outcome"] == "new_version"
    assert rows(data / "policykb.db", "select count(*) as n from versions")[0]["n"] == 1


def test_discovery_keeps_to_its_page_budget(tmp_path):
    plan = FaultPlan()
    crawl(tmp_path / "data", TRAP_BUDGET, plan)
    documents = {"/policy/terms", "/policy/refresh", "/policy/metadata", "/robots.txt"}
    discovery = [path for _, path in plan.hits if path not in documents]
    assert 1 <= len(discovery) <= 5, discovery
    assert plan.hosts_seen() == {"help.trapmart.example"}


def test_command_line_input_cannot_name_another_url(tmp_path):
    """``--document`` and ``--platform`` select among declarations; they never add a URL."""
    plan = FaultPlan()
    unknown = crawl(tmp_path / "a", TRAP, plan, "--platform", "evil.attacker.example", check=False)
    assert unknown.returncode == 2 and "evil.attacker.example" in unknown.stderr
    crawl(tmp_path / "b", TRAP, plan, "--document", "https://evil.attacker.example/policy/terms",
          "--document", "trapmart/../../evil", check=False)
    assert plan.hosts_seen() <= {"help.trapmart.example"}, plan.hosts_seen()
    assert not {path for _, path in plan.hits} & {"/policy/terms", "/evil"}, plan.hits
