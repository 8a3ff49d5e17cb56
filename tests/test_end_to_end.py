"""The whole flow for real: replay server → Scrapy → WARC → build → KB.

The demo help centre declares what a correct tracker must record in
``replay/sites/demo/EXPECTED.yml``; these tests hold the KB to it exactly.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import DEMO_SOURCES, ROOT, crawl_as_of, policykb, rows

pytestmark = pytest.mark.slow


def kb(data):
    return data / "policykb.db"


def test_every_expected_version_and_no_other(demo_kb, expected):
    versions = rows(kb(demo_kb), "select document_id, observed_at from versions order by document_id, seq")
    got = {}
    for v in versions:
        got.setdefault(v["document_id"], []).append(v["observed_at"][:10])
    want = {doc: spec["versions"] for doc, spec in expected["documents"].items()}
    assert got == want


def test_changes_connect_consecutive_versions(demo_kb, expected):
    changes = rows(kb(demo_kb), """
        select c.document_id, f.seq as f, t.seq as t, c.detected_at, c.chars_added, c.chars_removed, c.patch
        from changes c join versions f on f.id = c.from_version_id join versions t on t.id = c.to_version_id
    """)
    expected_count = sum(len(spec["versions"]) - 1 for spec in expected["documents"].values())
    assert len(changes) == expected_count
    for c in changes:
        assert c["t"] == c["f"] + 1
        assert c["chars_added"] + c["chars_removed"] > 0
        assert c["patch"].startswith("@@ ")


def test_changed_phrases_are_in_the_right_versions(demo_kb, expected):
    checked = 0
    for doc, spec in expected["documents"].items():
        for date, phrases in (spec.get("changes") or {}).items():
            pair = rows(kb(demo_kb), """
                select f.text_markdown as old, t.text_markdown as new from changes c
                join versions f on f.id = c.from_version_id join versions t on t.id = c.to_version_id
                where c.document_id = ? and substr(c.detected_at, 1, 10) = ?
            """, [doc, date])
            assert len(pair) == 1, f"{doc}: expected one change at {date}"
            for phrase in phrases.get("added", []):
                assert phrase in pair[0]["new"] and phrase not in pair[0]["old"], (doc, date, phrase)
                checked += 1
            for phrase in phrases.get("removed", []):
                assert phrase in pair[0]["old"] and phrase not in pair[0]["new"], (doc, date, phrase)
                checked += 1
    assert checked >= 4


def test_stated_dates_with_evidence(demo_kb, expected):
    for doc, spec in expected["documents"].items():
        for column, key in (("last_updated", "last_updated"), ("effective_date", "effective")):
            for date, stated in (spec.get(key) or {}).items():
                found = rows(kb(demo_kb), f"""
                    select {column} as value, {column.replace('_date', '')}_evidence as evidence from versions
                    where document_id = ? and observed_at <= ? order by seq desc limit 1
                """, [doc, date + "T23:59:59Z"])
                assert found and found[0]["value"] == stated, (doc, date, key, found)
                assert found[0]["evidence"], (doc, date, key)


def test_gone_documents_and_failed_checks(demo_kb, expected):
    docs = {d["id"]: d for d in rows(kb(demo_kb), "select * from documents")}
    for doc, spec in expected["documents"].items():
        if spec.get("gone"):
            assert docs[doc]["state"] == "gone"
            assert docs[doc]["gone_since"][:10] == spec["gone"]
            gone_checks = rows(kb(demo_kb), "select * from checks where document_id = ? and outcome = 'gone'", [doc])
            assert [c["checked_at"][:10] for c in gone_checks] == [spec["gone"]]
            assert gone_checks[0]["status_code"] == 404 and gone_checks[0]["version_id"] is None
        else:
            assert docs[doc]["state"] == "ok", (doc, docs[doc]["last_failure_reason"])
    # one check per document per date, none failed on the demo site
    checks = rows(kb(demo_kb), "select outcome, count(*) as n from checks group by outcome")
    total = sum(c["n"] for c in checks)
    assert total == len(expected["documents"]) * len(expected["dates"])
    assert "failed" not in {c["outcome"] for c in checks}


def test_noise_only_change_makes_no_version(demo_kb, expected):
    noise = [doc for doc, spec in expected["documents"].items() if spec.get("noise_only")]
    assert noise, "EXPECTED.yml names the noise-only documents"
    for doc in noise:
        checks = rows(kb(demo_kb), "select checked_at, outcome from checks where document_id = ? order by id", [doc])
        assert [c["outcome"] for c in checks][:2] == ["new_version", "unchanged"], checks
        assert rows(kb(demo_kb), "select count(*) as n from versions where document_id = ?", [doc])[0]["n"] == 1


def warc_records(path):
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as fh:
        return [(r.rec_type, dict(r.rec_headers.headers)) for r in ArchiveIterator(fh)]


def test_same_date_twice_adds_nothing_but_revisits(demo_copy, expected):
    before = {t: rows(kb(demo_copy), f"select count(*) as n from {t}")[0]["n"] for t in ("versions", "changes")}
    documents = rows(kb(demo_copy), "select * from documents order by id")
    old_warcs = set((demo_copy / "warcs").glob("*.warc.gz"))
    crawl_as_of(demo_copy, expected["dates"][-1])
    new_warcs = set((demo_copy / "warcs").glob("*.warc.gz")) - old_warcs
    assert len(new_warcs) == 1
    records = warc_records(new_warcs.pop())
    assert records[0][0] == "warcinfo"
    fetches = [(t, h) for t, h in records[1:] if "PolicyKB-Document" in h]
    assert {t for t, _ in fetches} == {"revisit"}
    assert len(fetches) == len(expected["documents"])
    # a conditional request answered 304 is recorded as server-not-modified, its own headers beside it in a
    # metadata record that is not under the page's URL
    not_modified = {h["WARC-Record-ID"] for t, h in fetches
                    if h.get("WARC-Profile", "").endswith("server-not-modified")}
    assert not_modified
    others = [h for t, h in records[1:] if "PolicyKB-Document" not in h]
    assert all(h["WARC-Type"] == "metadata" and h["WARC-Target-URI"].startswith("urn:policykb:not-modified:")
               for h in others)
    assert {h["WARC-Concurrent-To"] for h in others} == not_modified
    policykb("build", "--data", demo_copy)
    after = {t: rows(kb(demo_copy), f"select count(*) as n from {t}")[0]["n"] for t in ("versions", "changes")}
    assert after == before
    outcomes = rows(kb(demo_copy), "select outcome from checks order by id desc limit ?", [len(expected["documents"])])
    assert {o["outcome"] for o in outcomes} <= {"not_modified", "unchanged", "gone"}
    # the same moment observed again is the same observation: the gone page is not one more failure in a row
    assert rows(kb(demo_copy), "select * from documents order by id") == documents


def kb_content(data):
    """The KB's meaning, without autoincrement ids or ingest timestamps."""
    return {
        "versions": rows(kb(data), "select id, document_id, seq, observed_at, content_hash, text_markdown, "
                                   "last_updated, effective_date from versions order by id"),
        "changes": rows(kb(data), "select id, from_version_id, to_version_id, detected_at, patch, chars_added, "
                                  "chars_removed, effective_date from changes order by id"),
        "checks": rows(kb(data), "select document_id, checked_at, outcome, reason, status_code, version_id, "
                                 "warc_record_id from checks order by warc_record_id"),
        "documents": rows(kb(data), "select id, state, gone_since, current_version_id, versions_count, last_changed,"
                                    " last_success from documents order by id"),
        # built date by date, a version's unchanged sections keep the values its predecessor's stored rows hold
        # (kb.rules._stored_readings); a rebuild reads every section in one derive
        "rule_values": rows(kb(data), "select * from rule_values order by id"),
        "rule_value_changes": rows(kb(data), "select * from rule_value_changes order by id"),
    }


def test_rebuild_from_warcs_gives_the_same_kb(demo_copy):
    before = kb_content(demo_copy)
    policykb("rebuild", "--data", demo_copy)
    assert kb_content(demo_copy) == before
    assert rows(kb(demo_copy), "pragma integrity_check")[0]["integrity_check"] == "ok"


def synthetic_archive(data, copies=40):
    """Many archived fetches of the demo pages, written by the real archive writer.

    Each round alternates two snapshots of every page, so every record is a
    new version or a revisit that must be resolved: a build that takes seconds.
    """
    from pipeline.archive import Fetch, WarcArchive
    from replay.server import DirectorySite, parse_when
    from pipeline.sources import load_sources

    site = DirectorySite(ROOT / "replay" / "sites" / "demo")
    docs = [d for p in load_sources(DEMO_SOURCES) for d in p.documents]
    from urllib.parse import urlsplit

    for round_ in range(copies):
        with WarcArchive(data) as warc:
            for doc in docs:
                parts = urlsplit(doc.url)
                date = ["2026-01-15", "2026-07-01"][round_ % 2]
                snap = site.resolve(parts.hostname, parts.path, "", parse_when(date))
                stamp = f"2026-08-{1 + round_ // 24:02d}T{round_ % 24:02d}:00:00Z"
                warc.write(Fetch(document=doc.key, url=doc.url, final_url=doc.url, status=snap.status,
                                 headers=list(snap.headers.items()), body=snap.body, fetched_at=stamp,
                                 observed_at=stamp))


def test_sigkill_during_build_converges(tmp_path):
    reference, victim = tmp_path / "reference", tmp_path / "victim"
    synthetic_archive(reference)
    (reference / ".policykb-sources").write_text(str(DEMO_SOURCES))
    shutil.copytree(reference, victim)
    policykb("build", "--data", reference)
    rng = random.Random(20261125)
    kills = 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for attempt in range(40):
        proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "build", "--data", str(victim)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.8, 2.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if kills >= 3 and proc.returncode == 0:
            break
        integrity = rows(kb(victim), "pragma integrity_check") if kb(victim).exists() else [{"integrity_check": "ok"}]
        assert integrity[0]["integrity_check"] == "ok"
    assert kills >= 3, "the build finished before it could be killed; make the archive larger"
    policykb("build", "--data", victim)
    assert kb_content(victim) == kb_content(reference)
    # no half-written version: every version has its check, every change both versions
    assert rows(kb(victim), "select count(*) as n from versions where check_id is null")[0]["n"] == 0


def test_demo_command_runs_without_serving(tmp_path, expected):
    data = tmp_path / "demo"
    result = policykb("demo", "--no-serve", "--data", data)
    assert "demo KB:" in result.stdout
    versions = rows(kb(data), "select count(*) as n from versions")[0]["n"]
    assert versions == sum(len(s["versions"]) for s in expected["documents"].values())
    # a second run resets the demo KB rather than mixing two runs
    policykb("demo", "--no-serve", "--data", data)
    assert rows(kb(data), "select count(*) as n from versions")[0]["n"] == versions
