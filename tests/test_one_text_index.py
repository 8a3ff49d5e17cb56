"""One full-text index serves search and the cite check (issue 19): ``versions_fts`` is gone, and the cite
check's candidates come from search's ``search_trigram``, where each distinct wording of a section is indexed
once and stands for every version that has it."""

from __future__ import annotations

import re
import sqlite3

from conftest import copy_data
from kb.cite import candidate_versions, cite
from kb.search import document_meta


def _copy(demo_kb, tmp_path):
    data = copy_data(demo_kb, tmp_path / "data")
    from kb.db import open_db

    open_db(data).close()  # migrated, as every command opens it
    return sqlite3.connect(data / "policykb.db")


def test_the_cite_index_of_whole_versions_is_dropped(demo_kb, tmp_path):
    conn = _copy(demo_kb, tmp_path)
    names = {r[0] for r in conn.execute("select name from sqlite_master")}
    assert not {n for n in names if n.startswith("versions_fts")}
    assert not {"versions_ai", "versions_ad", "versions_au"} & names
    # a version's text can still be written (no trigger left pointing at the dropped index)
    with conn:
        conn.execute("update versions set text_markdown = text_markdown || ' ' where rowid = "
                     "(select min(rowid) from versions)")


def _shared_wording(conn):
    """A section wording of a current version kept unchanged from an earlier one, and the seqs that have it."""
    for document_id, key, content_hash, text in conn.execute("""
            select s.document_id, s.key, s.content_hash, min(s.text_markdown) from sections s
            join documents d on d.id = s.document_id
            group by s.document_id, s.key, s.content_hash
            having count(*) >= 2 and max(s.version_id = d.current_version_id) = 1 order by 1, 2"""):
        sentence = next((m.group() for m in re.finditer(r"[A-Z][^.\n#|*]{50,160}\.", text or "")), None)
        if sentence:
            seqs = {r[0] for r in conn.execute("""
                select v.seq from sections s join versions v on v.id = s.version_id
                where s.document_id = ? and s.key = ? and s.content_hash = ?""", [document_id, key, content_hash])}
            return document_id, sentence, seqs
    return None


def test_a_wording_indexed_once_finds_every_version_that_has_it(demo_kb, tmp_path):
    conn = _copy(demo_kb, tmp_path)
    found = _shared_wording(conn)
    assert found, "the demo KB has a section unchanged across versions"
    document_id, sentence, seqs = found
    indexed = conn.execute("select count(*) from search_sections i join sections s on s.rowid = i.rowid "
                           "where s.document_id = ? and s.text_markdown like ?",
                           [document_id, f"%{sentence}%"]).fetchone()[0]
    assert indexed == 1  # the wording is in the index once
    candidates = candidate_versions(conn, sentence)
    assert seqs <= set(candidates.get(document_id, {})), (sentence, seqs, candidates)
    answers = cite(conn, sentence)
    assert answers[0]["status"] == "current" and answers[0]["document"] == document_id


def test_a_word_in_no_wording_finds_nothing(demo_kb, tmp_path):
    conn = _copy(demo_kb, tmp_path)
    assert candidate_versions(conn, "Quokka zebra crossings are marsupial territory everywhere") == {}


def test_a_quote_of_common_words_is_found_by_its_word_pairs(demo_kb, tmp_path, monkeypatch):
    """When every word of a quote is in many wordings, its word pairs are probed as phrases: the versions with
    the rare pairs are the pool, and the answer is the one the words alone give."""
    import kb.cite.candidates as candidates

    conn = _copy(demo_kb, tmp_path)
    document_id, sentence, seqs = _shared_wording(conn)
    expected = candidate_versions(conn, sentence)
    probed = []
    real = candidates._rare_versions
    monkeypatch.setattr(candidates, "_rare_versions", lambda c, token, pending: probed.append(token) or real(
        c, token, pending) if " " in token else None)  # every single word counts as common
    assert candidate_versions(conn, sentence) == expected
    assert probed and all(p in sentence.lower() for p in probed), probed
    assert seqs <= set(expected.get(document_id, {}))


def test_probe_pairs_spread_over_the_quote_and_skip_function_word_pairs():
    from kb.cite.candidates import MAX_PAIR_PROBES, STOPWORDS, probe_pairs, quote_shingles

    quote = ("Sellers must ship every order within two business days of the buyer paying for it, "
             "and upload valid tracking for each parcel they send to the customer")
    pairs, shingles = probe_pairs(quote), quote_shingles(quote)
    assert len(pairs) == MAX_PAIR_PROBES and pairs[0] == "sellers must"
    at = [shingles.index(p) for p in pairs]
    assert at == sorted(at) and at[-1] >= len(shingles) - 6, pairs  # from the start to near the end
    for pair in pairs:
        words = pair.split()
        assert all(len(w) >= 3 for w in words) and not all(w in STOPWORDS for w in words), pair
    assert probe_pairs("Shipping refunds apply") == ["shipping refunds", "refunds apply"]


def test_a_version_stored_without_sections_rows_is_read_whole(demo_kb, tmp_path):
    conn = _copy(demo_kb, tmp_path)
    document_id, sentence, seqs = _shared_wording(conn)
    seq = max(seqs)
    with conn:
        conn.execute("delete from sections where version_id = (select id from versions where document_id = ? "
                     "and seq = ?)", [document_id, seq])
    # a check in named documents reads their versions directly (the index has no wording of this one now)
    assert seq in candidate_versions(conn, sentence, documents={document_id}).get(document_id, {})


def test_a_kept_key_form_is_never_served_for_another_text_of_the_same_version():
    """The cite check keeps the key forms of the versions it read last; a version id whose text changed (a KB
    rebuilt or migrated in place) is keyed again, and the budget evicts the oldest."""
    from kb.cite import versions as cite_versions

    first = cite_versions.keyed_version({"id": "v1", "text_markdown": "Refunds within 7 days."})
    assert cite_versions.keyed_version({"id": "v1", "text_markdown": "Refunds within 7 days."}) is first
    other = cite_versions.keyed_version({"id": "v1", "text_markdown": "## New\n\nRefunds within 14 days."})
    assert other is not first and "14" in other.key and "7" not in other.key
    budget = cite_versions._KEYED.budget
    try:
        cite_versions._KEYED.budget = 0
        cite_versions.keyed_version({"id": "v2", "text_markdown": "Another text."})
        assert len(cite_versions._KEYED) == 1  # only the newest is kept
    finally:
        cite_versions._KEYED.budget = budget


def test_a_kept_key_form_answers_every_thread_alike():
    """Datasette answers quotes in a pool of threads, and they share the kept key forms: the lazily built offset
    map must be complete before any thread reads it (it was read while still being filled: wrong offsets)."""
    import threading

    from kb.cite.keytext import key_text
    from kb.cite.versions import keyed_version

    text = " ".join(f"Word{i} policy clause." for i in range(100_000))
    k = len(key_text(text).key) - 50
    expect = key_text(text).raw_start(k)
    for trial in range(6):
        version = {"id": f"threads-{trial}", "text_markdown": text}
        keyed_version(version)  # kept; every thread below gets the same object
        results = []
        threads = [threading.Thread(target=lambda: results.append(keyed_version(version).raw_start(k)))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [expect] * 4, (trial, results)


def test_search_sections_is_a_view_of_the_wordings_with_their_sections_keys(demo_kb):
    """Layout 7 (migration 0820): a wording stores only its rowid and own filter tokens; the view gives back the
    columns the cite check and Datasette read, each the section's (same rowid), and the tokens indexed with it."""
    conn = sqlite3.connect(f"file:{demo_kb / 'policykb.db'}?mode=ro", uri=True)
    try:
        kind = conn.execute("select type from sqlite_master where name = 'search_sections'").fetchone()[0]
        assert kind == "view"
        rows = conn.execute("""select i.rowid, i.document_id, i.key, i.content_hash, i.meta, s.document_id, s.key,
                                      s.content_hash, d.doc_type
                               from search_sections i join sections s on s.rowid = i.rowid
                               join documents d on d.id = s.document_id""").fetchall()
        assert rows and len(rows) == conn.execute("select count(*) from search_wordings").fetchone()[0]
        for rowid, doc, key, digest, meta, s_doc, s_key, s_digest, doc_type in rows:
            assert (doc, key, digest) == (s_doc, s_key, s_digest)
            assert document_meta(doc, doc_type, None).split()[0] in meta.split()  # the platform's token
            assert re.search(r"\bmz[0-9a-f]{12}z\b", meta)  # the month first seen, YYYYMM in hex
        # one row per distinct wording, at its first section
        wordings = conn.execute("select count(distinct document_id || '|' || key || '|' || content_hash) "
                                "from sections where content_hash is not null").fetchone()[0]
        assert wordings == len(rows)
        firsts = conn.execute("""select count(*) from search_sections i where i.rowid = (select min(rowid) from
            sections c where c.document_id = i.document_id and c.key = i.key and c.content_hash = i.content_hash)
            """).fetchone()[0]
        assert firsts == len(rows)
    finally:
        conn.close()
