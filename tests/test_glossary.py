"""The cross-platform glossary: seed data, evidence from the demo KB, term drift, look-up, TBX and CSV, the page.

The demo KB (session fixture ``demo_kb``) is built by real crawls and ``policykb build``, whose
glossary step of the build (kb/build.py) loads the glossary; the tests read it, or a private copy where they write.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from conftest import ROOT, policykb, rows
from glossary import GlossaryError, read_glossary
from glossary.csvio import export_csv, import_csv
from glossary.load import write_glossary
from glossary.match import TokenIndex, plain_text, term_tokens
from glossary.model import GENERAL
from glossary.tbx import NS, NS_V3, export_tbx, import_tbx, validate_tbx

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
REAL_PLATFORMS = {"amazon", "tiktok-shop", "temu", "shopee", "lazada", "ebay", "walmart", "aliexpress", "shein",
                  "etsy", "rakuten"}
DEMO_PLATFORMS = {"demomart", "shoptide", "kuajing"}


@pytest.fixture(scope="module")
def seed():
    return read_glossary()




def canonical(glossary, drop=()):
    """A glossary as comparable data: order of terms within a concept does not matter, the source file does not."""
    concepts = {}
    for c in glossary.concepts:
        fields = {k: v for k, v in dataclasses.asdict(c).items() if k not in ("terms", "source_file")}
        fields["terms"] = sorted(tuple(sorted((k, v) for k, v in dataclasses.asdict(t).items() if k not in drop))
                                 for t in c.terms)
        concepts[c.id] = fields
    platforms = {p.id: dataclasses.asdict(p) for p in glossary.platforms.values()}
    return concepts, platforms


def terms_of(glossary, concept_id, platform=None, term=None):
    concept = glossary.concept(concept_id)
    assert concept, concept_id
    return [t for t in concept.terms
            if (platform is None or t.platform == platform) and (term is None or t.term == term)]


# --- seed data ----------------------------------------------------------------------------------------------------


def test_seed_covers_enough_concepts_platforms_and_languages(seed):
    assert len(seed.concepts) >= 40
    platforms_with_terms = {t.platform for c in seed.concepts for t in c.terms}
    assert len(platforms_with_terms & REAL_PLATFORMS) >= 8
    assert DEMO_PLATFORMS <= platforms_with_terms
    for c in seed.concepts:
        assert c.label and c.definition and c.subject_field, c.id
        assert c.label_zh and c.gloss_formal and c.gloss_plain, c.id
        assert re.search(r"[\u4e00-\u9fff]", c.label_zh + c.gloss_formal + c.gloss_plain), c.id
        assert any(t.platform != GENERAL for t in c.terms), f"{c.id} has no platform term"
    languages = {(t.platform, t.language) for c in seed.concepts for t in c.terms}
    for local in [("rakuten", "ja"), ("amazon", "ja"), ("amazon", "de"), ("shopee", "id"), ("shopee", "th"),
                  ("shopee", "vi")]:
        assert local in languages, local


def test_seed_marks_the_tricky_mappings(seed):
    # "case": a support ticket on Amazon, an escalated buyer dispute on eBay.
    assert terms_of(seed, "support-case", "amazon", "case")[0].equivalence == "exact"
    assert terms_of(seed, "support-case", "ebay", "case")[0].equivalence == "false-friend"
    assert terms_of(seed, "buyer-dispute", "ebay", "case")[0].equivalence == "exact"
    assert terms_of(seed, "buyer-dispute", "amazon", "case")[0].equivalence == "false-friend"
    # 跟卖: legitimate on Amazon, copycat selling on Temu.
    assert terms_of(seed, "selling-on-existing-listing", "amazon", "跟卖")[0].equivalence == "exact"
    assert terms_of(seed, "selling-on-existing-listing", "temu", "跟卖")[0].equivalence == "false-friend"
    # 全托管 is not FBA.
    assert terms_of(seed, "platform-fulfilment", "temu", "全托管")[0].equivalence == "false-friend"
    assert terms_of(seed, "fully-managed-model", "amazon", "Fulfillment by Amazon")[0].equivalence == "false-friend"
    for c in seed.concepts:
        for t in c.terms:
            if t.equivalence in ("false-friend", "partial"):
                assert t.note, (c.id, t.term)


def test_demo_terms_cite_real_documents_and_sections(seed, demo_kb):
    db = demo_kb / "policykb.db"
    sections = {(r["document_id"], r["key"]) for r in rows(db, "select document_id, key from sections")}
    documents = {r["id"] for r in rows(db, "select id from documents")}
    cited = [t for c in seed.concepts for t in c.terms if t.source_document and t.platform in DEMO_PLATFORMS]
    assert len(cited) >= 40
    for t in cited:
        assert t.source_document in documents, t
        if t.source_section:
            assert (t.source_document, t.source_section) in sections, t
    # Real platforms' terms name documents of the declarations (the demo KB does not crawl them).
    from glossary.coverage import declared_documents

    declared = declared_documents()[0]
    real = [t for c in seed.concepts for t in c.terms if t.source_document and t.platform in REAL_PLATFORMS]
    assert real and all(t.source_document in declared for t in real)


BAD_DATA = [
    ("platform: nowhere", "unknown platform 'nowhere'"),
    ("status: official", "status: 'official' is not one of"),
    ("equivalence: false-friend", "needs a note on the difference"),
    ("lang: english", "not a language code"),
    ("source: just-a-page", "expected a URL or platform/document#section"),
]


@pytest.mark.parametrize("change,message", BAD_DATA)
def test_bad_data_files_are_refused_with_the_file_and_field_named(tmp_path, change, message):
    (tmp_path / "concepts").mkdir()
    (tmp_path / "platforms.yml").write_text("platforms:\n  demomart: {name: DemoMart}\n", encoding="utf-8")
    term = {"platform": "demomart", "lang": "en", "term": "Policy Warning"}
    key, value = change.split(": ")
    term[key] = value
    concept = {"id": "policy-warning", "label": "policy warning", "definition": "A warning.",
               "zh": {"label": "政策警告", "formal": "警告。", "plain": "黄牌。"}, "terms": [term]}
    (tmp_path / "concepts" / "x.yml").write_text(
        yaml.safe_dump({"subject_field": "test", "concepts": [concept]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(GlossaryError) as exc:
        read_glossary(tmp_path)
    assert "x.yml: concept policy-warning: term #1 (Policy Warning)" in str(exc.value)
    assert message in str(exc.value)


def test_a_concept_without_chinese_glosses_is_refused(tmp_path):
    (tmp_path / "concepts").mkdir()
    (tmp_path / "platforms.yml").write_text("platforms: {}\n", encoding="utf-8")
    (tmp_path / "concepts" / "a.yml").write_text(
        "subject_field: s\nconcepts:\n  - {id: appeal, label: appeal, definition: d, zh: {label: 申诉, formal: f}}\n",
        encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"a.yml: concept appeal.zh.plain: missing"):
        read_glossary(tmp_path)


# --- matching -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("term,language,text,count", [
    ("policy warning", "en", "We issue a Policy Warning. Policy warnings stay for 180 days.", 2),
    ("account deactivation", "en", "The account deactivated yesterday; deactivation of the account", 1),
    ("letter of authorization", "en", "Upload letters of authorisation or a letter of authorization.", 2),
    ("fulfilment", "en", "Fulfillment centers and fulfilment fees", 2),
    ("report abuse", "en", "See the [form](/help/report-abuse?ref=x).", 0),
    ("申诉", "zh", "商家可以提出申诉；二次申诉的结果为最终结果。", 2),
    ("假货投诉", "zh", "平台收到侵权投诉或假货投诉后", 1),
    ("注文不良率", "ja", "注文不良率は1%未満に維持してください。", 1),
    ("Sao Quả Tạ", "vi", "Shop bị 3 Sao Quả Tạ sẽ bị hạn chế", 1),
])
def test_terms_are_found_inflected_or_as_substrings(term, language, text, count):
    from glossary.model import norm_lang

    lang = norm_lang(language)
    assert len(TokenIndex(plain_text(text), lang).find(term_tokens(term, lang))) == count


# --- evidence on the demo KB --------------------------------------------------------------------------------------


def test_every_seeded_term_has_evidence_or_is_flagged(demo_kb, seed):
    db = demo_kb / "policykb.db"
    terms = rows(db, "select * from glossary_terms")
    assert len(terms) == sum(len(c.all_terms()) for c in seed.concepts)
    evidence = {}
    for e in rows(db, "select term_id, sum(occurrences) as n from glossary_evidence group by term_id"):
        evidence[e["term_id"]] = e["n"]
    for t in terms:
        assert t["attestation"] in ("attested", "not_found", "no_documents"), t
        assert (t["attestation"] == "attested") == (evidence.get(t["id"], 0) > 0) == (t["evidence_count"] > 0), t
        assert t["evidence_count"] == evidence.get(t["id"], 0)
        if t["attestation"] != "attested":
            assert t["attestation_note"], t
    kinds = {(t["platform"], t["attestation"]) for t in terms}
    assert ("amazon", "no_documents") in kinds and ("amazon", "attested") not in kinds
    demo = [t for t in terms if t["platform"] in DEMO_PLATFORMS]
    assert sum(t["attestation"] == "attested" for t in demo) >= 0.9 * len(demo)


def test_evidence_counts_match_the_current_texts(demo_kb):
    db = demo_kb / "policykb.db"
    current = {r["id"]: r for r in rows(db, """select d.id, d.state, v.text_markdown from documents d
                                                 join versions v on v.id = d.current_version_id""")}
    # Chinese is counted as a substring: compare with str.count over the current texts.
    kuajing = sum(r["text_markdown"].count("申诉") for d, r in current.items() if d.startswith("kuajing/"))
    term = rows(db, "select * from glossary_terms where platform = 'kuajing' and term = '申诉'")[0]
    assert term["evidence_count"] == kuajing > 0
    # English inflections: "late shipment rate(s)", any case, in the documents that are not gone.
    expected = sum(len(re.findall(r"\blate shipment rates?\b", r["text_markdown"], re.I))
                   for d, r in current.items() if d.startswith("demomart/") and r["state"] != "gone")
    term = rows(db, "select * from glossary_terms where platform = 'demomart' and term = 'late shipment rate'")[0]
    assert term["evidence_count"] == expected > 0
    # Each evidence row points to a section of a current version, and its snippet shows the term.
    for e in rows(db, """select e.*, t.term from glossary_evidence e join glossary_terms t on t.id = e.term_id
                         where t.platform = 'demomart' and t.term = 'Policy Warning'"""):
        assert e["document_id"] == "demomart/account-health"  # renamed in intellectual-property at 2026-07-01
        assert rows(db, "select 1 from sections where id = ? and version_id = ?", [e["section_id"], e["version_id"]])
        assert "[policy warning" in e["snippet"].lower()


def test_a_term_only_in_a_gone_document_is_flagged_not_found(demo_kb, expected):
    gone = next(d for d, s in expected["documents"].items() if s.get("gone"))
    db = demo_kb / "policykb.db"
    term = rows(db, "select * from glossary_terms where platform = 'demomart' and term = 'prohibited product'")[0]
    text = rows(db, "select v.text_markdown from documents d join versions v on v.id = d.current_version_id "
                    "where d.id = ?", [gone])[0]["text_markdown"]
    assert "prohibited product" in text.lower()
    assert term["attestation"] == "not_found" and term["evidence_count"] == 0


def test_uncovered_frequent_terms_are_candidates(demo_kb):
    candidates = rows(demo_kb / "policykb.db", "select * from glossary_candidates")
    by_platform = {(c["kb_platform_id"], c["candidate"]) for c in candidates}
    assert ("demomart", "Account Warning") in by_platform  # the new name, which no concept lists yet
    covered = {t["term"].lower() for t in rows(demo_kb / "policykb.db", "select term from glossary_terms")}
    for c in candidates:
        assert c["occurrences"] >= 2 and c["candidate"].lower() not in covered, c


# --- term drift ---------------------------------------------------------------------------------------------------


def test_term_drift_records_the_demo_rename(demo_kb, expected):
    db = demo_kb / "policykb.db"
    renames = [(doc, date, r) for doc, spec in expected["documents"].items()
               for date, rs in (spec.get("term_drift") or {}).items() for r in rs]
    assert renames
    for doc, date, rename in renames:
        drift = rows(db, """select d.*, t.term from glossary_drift d join glossary_terms t on t.id = d.term_id
                            where d.document_id = ? and t.term = ?""", [doc, rename["from"]])
        assert len(drift) == 1, (doc, rename)
        d = drift[0]
        assert d["gone_at"][:10] == date and d["last_seen_at"][:10] < date
        assert d["replaced_by"] == rename["to"]
        before = rows(db, "select text_markdown from versions where id = ?", [d["last_seen_version_id"]])[0]
        assert d["occurrences_before"] == d["replaced_by_count"] == before["text_markdown"].count(rename["from"])
        # The platform still uses the old term in another current document.
        assert "demomart/account-health" in json.loads(d["still_used_in"])
    out = policykb("glossary", "drift", "--data", demo_kb).stdout
    assert "'Policy Warning' → 'Account Warning'" in out
    # Both directions of the rename find the concept: the old term, and the wording that replaced it.
    for rename in (r for _, _, r in renames):
        old = term_json(demo_kb, rename["from"])["matches"][0]["concept_id"]
        assert term_json(demo_kb, rename["to"])["matches"][0]["concept_id"] == old


def _glossary_tables(db):
    return {
        "evidence": rows(db, "select * from glossary_evidence order by term_id, version_id, section_id"),
        "candidates": rows(db, "select * from glossary_candidates order by kb_platform_id, candidate"),
        "drift": rows(db, "select term_id, document_id, last_seen_version_id, gone_version_id, occurrences_before,"
                          " replaced_by, replaced_by_count, still_used_in, example_before, example_after"
                          " from glossary_drift order by term_id, document_id, gone_version_id"),
        "terms": rows(db, "select id, evidence_count, evidence_documents, attestation, attestation_note"
                          " from glossary_terms order by id"),
    }


def test_builds_refresh_the_glossary_incrementally_to_what_a_full_recompute_gives(demo_copy):
    """``demo_kb`` was built date by date, each build refreshing only the documents that changed;
    ``policykb glossary load`` recomputes everything: the two must agree, row for row."""
    db = demo_copy / "policykb.db"
    assert rows(db, "select key from glossary_state") == [{"key": "state"}]
    incremental = _glossary_tables(db)
    assert incremental["evidence"] and incremental["drift"] and incremental["candidates"]
    policykb("glossary", "load", "--data", demo_copy)
    assert _glossary_tables(db) == incremental
    # a build with nothing new leaves the glossary as it is, without recomputing it
    out = policykb("build", "--data", demo_copy)
    assert "nothing new" in out.stdout
    assert _glossary_tables(db) == incremental


# --- look-up ------------------------------------------------------------------------------------------------------


def term_json(demo_kb, query):
    return json.loads(policykb("term", query, "--json", "--data", demo_kb).stdout)


def test_lookup_json_shape_and_both_directions(demo_kb):
    out = term_json(demo_kb, "Counterfeit Notice")
    assert set(out) == {"query", "matches"} and out["query"] == "Counterfeit Notice"
    first = out["matches"][0]
    assert set(first) == {"concept_id", "label", "score", "renamed", "terms"}
    assert first["concept_id"] == "counterfeit-complaint" and first["score"] == 100
    for t in first["terms"]:
        assert set(t) == {"platform", "language", "term", "equivalence", "status", "evidence_count", "sourcing",
                          "source_url", "source_document"}
    found = {(t["platform"], t["term"]) for t in first["terms"]}
    assert ("temu", "Authenticity Issue") in found and ("kuajing", "假货投诉") in found
    kuajing = next(t for t in first["terms"] if t["platform"] == "kuajing")
    assert kuajing["evidence_count"] > 0
    # Chinese → the same concept, with the English equivalents.
    zh = term_json(demo_kb, "假货投诉")["matches"][0]
    assert zh["concept_id"] == "counterfeit-complaint"
    assert ("amazon", "Counterfeit Notice") in {(t["platform"], t["term"]) for t in zh["terms"]}
    # Another language (Japanese, German) → English and Chinese.
    for query, concept in [("注文不良率", "order-defect-rate"), ("Versand durch Amazon", "platform-fulfilment")]:
        match = term_json(demo_kb, query)["matches"][0]
        assert match["concept_id"] == concept and match["score"] == 100
        languages = {t["language"] for t in match["terms"]}
        assert {"en", "zh-Hans"} <= languages


@pytest.mark.parametrize("query,concept", [
    ("Counterfiet Notise", "counterfeit-complaint"),
    ("acount helth rating", "account-health-rating"),
    ("Sao Qua Ta", "penalty-points"),
    ("假货头诉", "counterfeit-complaint"),
])
def test_lookup_forgives_misspellings(demo_kb, query, concept):
    match = term_json(demo_kb, query)["matches"][0]
    assert match["concept_id"] == concept and 75 <= match["score"] < 100


def test_a_shared_word_returns_every_concept_it_names(demo_kb):
    ids = {m["concept_id"] for m in term_json(demo_kb, "case")["matches"]}
    assert {"support-case", "buyer-dispute"} <= ids


def test_unattested_list(demo_kb):
    out = json.loads(policykb("term", "--unattested", "--json", "--data", demo_kb).stdout)["unattested"]
    flagged = rows(demo_kb / "policykb.db", "select id from glossary_terms where attestation != 'attested'")
    assert len(out) == len(flagged)
    assert {r["attestation"] for r in out} == {"not_found", "no_documents"}
    assert any(r["platform"] == "demomart" and r["term"] == "prohibited product" for r in out)
    text = policykb("term", "--unattested", "--data", demo_kb).stdout
    assert "Not found in the platform's tracked documents" in text and "prohibited product" in text


def test_term_without_a_kb_uses_the_data_files(tmp_path):
    result = policykb("term", "Plan of Action", "--json", "--data", tmp_path / "none")
    match = json.loads(result.stdout)["matches"][0]
    assert match["concept_id"] == "plan-of-action"
    assert all(t["evidence_count"] == 0 for t in match["terms"])
    assert "no glossary in a KB" in result.stderr


# --- exchange -----------------------------------------------------------------------------------------------------


def test_tbx_round_trip_gives_the_same_glossary(seed):
    data = export_tbx(seed)
    assert validate_tbx(data) == []
    assert canonical(import_tbx(data)) == canonical(seed)


def test_tbx_through_the_command_line(tmp_path, seed, demo_copy):
    tbx = tmp_path / "glossary.tbx"
    policykb("glossary", "export", "--format", "tbx", "-o", tbx)
    assert validate_tbx(tbx.read_bytes()) == []
    policykb("glossary", "import", tbx, "--to", tmp_path / "imported")
    assert canonical(read_glossary(tmp_path / "imported")) == canonical(seed)
    # The imported folder loads into a KB and gives the same evidence as the seed.
    count = "select count(*) as n, sum(occurrences) as o from glossary_evidence"
    before = rows(demo_copy / "policykb.db", count)[0]
    out = policykb("glossary", "load", "--data", demo_copy, "--dir", tmp_path / "imported").stdout
    assert f"{before['n']} evidence sections" in out
    assert rows(demo_copy / "policykb.db", count)[0] == before


@pytest.mark.parametrize("old,new,complaint", [
    (b"preferredTerm-admn-sts", b"preferred", "termNote"),
    (b' style="dca"', b"", "tbx"),
    (b'<descrip type="subjectField">', b'<descrip type="domain">', "conceptEntry"),
    (b"<admin type=\"customerSubset\">amazon</admin>", b"<admin type=\"client\">amazon</admin>", "admin"),
])
def test_tbx_validation_rejects_files_that_break_the_dialect(seed, old, new, complaint):
    data = export_tbx(seed)
    assert old in data
    problems = validate_tbx(data.replace(old, new, 1))
    assert problems and any(complaint in p for p in problems), problems
    with pytest.raises(GlossaryError, match="not valid TBX-Basic"):
        import_tbx(data.replace(old, new, 1))


def test_tbx_subject_field_is_only_allowed_at_concept_level(seed):
    data = export_tbx(seed).decode("utf-8")
    moved = data.replace("<admin type=\"customerSubset\">amazon</admin>",
                         "<descrip type=\"subjectField\">x</descrip>", 1)
    assert validate_tbx(moved.encode("utf-8"))


def test_tbx_v3_namespace_is_accepted(seed):
    data = export_tbx(seed).replace(NS.encode(), NS_V3.encode())
    assert validate_tbx(data) == []
    assert canonical(import_tbx(data)) == canonical(seed)


def test_csv_round_trip_and_row_per_entry_shape(tmp_path, seed):
    text = export_csv(seed)
    header = text.splitlines()[0].split(",")
    assert {"concept_id", "platform", "en", "zh-Hans", "ja", "de", "en_status", "en_equivalence"} <= set(header)
    assert canonical(import_csv(text, seed.platforms)) == canonical(seed)
    import csv
    import io

    amazon = [r for r in csv.DictReader(io.StringIO(text))
              if r["concept_id"] == "order-defect-rate" and r["platform"] == "amazon"]
    assert amazon[0]["en"] == "Order Defect Rate" and amazon[0]["zh-Hans"] == "订单缺陷率"
    assert amazon[0]["ja"] == "注文不良率"
    target = tmp_path / "g.csv"
    policykb("glossary", "export", "--format", "csv", "-o", target)
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    policykb("glossary", "import", target, "--to", tmp_path / "from-csv")
    assert canonical(read_glossary(tmp_path / "from-csv"))[0] == canonical(seed)[0]


def test_written_data_files_read_back_the_same(tmp_path, seed):
    write_glossary(seed, tmp_path)
    assert canonical(read_glossary(tmp_path)) == canonical(seed)


def test_import_refuses_a_broken_file_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.tbx"
    bad.write_text("<tbx><oops></tbx>", encoding="utf-8")
    result = policykb("glossary", "import", bad, "--to", tmp_path / "out", check=False)
    assert result.returncode == 2 and "not well-formed XML" in result.stderr
    assert not (tmp_path / "out").exists()


# --- the page -----------------------------------------------------------------------------------------------------


@pytest.fixture
def ds(demo_kb):
    return Datasette([str(demo_kb / "policykb.db")], metadata=METADATA)


@pytest.mark.asyncio
async def test_glossary_page_matrix_search_flags_and_drift(ds, demo_kb):
    page = await ds.client.get("/-/glossary")
    assert page.status_code == 200
    for c in rows(demo_kb / "policykb.db", "select id from glossary_concepts"):
        assert f"/-/glossary/concept/{c['id']}" in page.text
    from kb.labels import platform_name

    for p in rows(demo_kb / "policykb.db", "select id, name, name_zh from glossary_platforms"):  # in the page's language
        assert platform_name(p, "zh") in page.text, p
    assert "Not found in the platform's tracked documents" in page.text and "prohibited product" in page.text
    assert "Account Warning" in page.text and "demomart/intellectual-property" in page.text  # drift
    search = await ds.client.get("/-/glossary", params={"q": "假货投诉"})
    assert "counterfeit complaint · 假货投诉" in search.text and "Authenticity Issue" in search.text
    fuzzy = await ds.client.get("/-/glossary", params={"q": "Counterfiet Notise", "lang": "en"})
    assert "counterfeit complaint" in fuzzy.text and "(matched" in fuzzy.text


@pytest.mark.asyncio
async def test_concept_page_links_terms_to_their_evidence(ds, demo_kb):
    page = await ds.client.get("/-/glossary/concept/policy-warning")
    assert page.status_code == 200
    evidence = rows(demo_kb / "policykb.db", """select e.document_id, e.section_key from glossary_evidence e
                                               join glossary_terms t on t.id = e.term_id
                                               where t.concept_id = 'policy-warning'""")
    assert evidence
    from kb.search import section_anchor

    for e in evidence:  # each links to its section on the document's page, which has that anchor
        assert f"/-/policykb/doc/{e['document_id']}#{section_anchor(e['section_key'])}" in page.text
        target = await ds.client.get(f"/-/policykb/doc/{e['document_id']}")
        assert f'id="{section_anchor(e["section_key"])}"' in target.text
    assert "replaced by “Account Warning”" in page.text
    assert (await ds.client.get("/-/glossary/concept/no-such-thing")).status_code == 404


@pytest.mark.asyncio
async def test_lookup_json_endpoint_matches_the_command(ds, demo_kb):
    response = await ds.client.get("/-/glossary.json", params={"q": "Plan of Action"})
    assert response.json() == term_json(demo_kb, "Plan of Action")


@pytest.mark.asyncio
async def test_scraped_snippets_are_escaped(demo_copy):
    db = demo_copy / "policykb.db"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update glossary_evidence set snippet = '<script>alert(1)</script>' where term_id in "
                     "(select id from glossary_terms where concept_id = 'appeal')")
    conn.close()
    page = await Datasette([str(db)], metadata=METADATA).client.get("/-/glossary/concept/appeal")
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text


def test_metadata_describes_every_glossary_column(demo_kb):
    tables = METADATA["databases"]["policykb"]["tables"]
    for table in ("glossary_platforms", "glossary_concepts", "glossary_terms", "glossary_term_sources",
                  "glossary_evidence", "glossary_drift", "glossary_candidates"):
        columns = {r["name"] for r in rows(demo_kb / "policykb.db", f"pragma table_info([{table}])")}
        assert set(tables[table]["columns"]) == columns, table


def test_glossary_check_command():
    assert "ok: " in policykb("glossary", "check").stdout
    assert Path(ROOT / "glossary" / "platforms.yml").exists()


@pytest.mark.asyncio
async def test_glossary_page_marks_unsourced_terms_and_shows_the_sources_coverage(ds, demo_kb):
    page = await ds.client.get("/-/glossary")
    assert page.status_code == 200 and 'id="coverage"' in page.text
    db = demo_kb / "policykb.db"
    unsourced = rows(db, "select count(*) as n from glossary_term_sources where sourcing = 'unsourced'")[0]["n"]
    assert unsourced and page.text.count('class="gl-unsourced"') >= 1
    sourced = rows(db, """select count(*) as n from (select concept_id, platform from glossary_terms t
                          join glossary_platforms p on p.id = t.platform
                          join glossary_term_sources s on s.term_id = t.id where p.demo = 0 and t.platform != 'general'
                          group by concept_id, platform having max(s.sourcing in ('document', 'page')))""")[0]["n"]
    assert f">{sourced} of " in page.text.replace("<p>", ">")
