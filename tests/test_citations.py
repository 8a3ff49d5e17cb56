"""The watch list of citations (issue 16): saved in the KB, checked again by every build, alerts, the web page,
and W3C Web Annotation export/import.

The demo help centre is built at its first date, citations are saved through the CLI, then the later dates
are built: what the demo rewords, removes or re-dates (``EXPECTED.yml``) must show in each citation's state
and in the alerts.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time

import httpx
import pytest
import yaml
from click.testing import CliRunner
from datasette.app import Datasette

import kbfactory
from conftest import DEMO_SOURCES, POLICYKB, ROOT, copy_data, free_port, policykb, rows
from kb.cite.watchlist import ANNO_CONTEXT, annotation_problems
from kb.cli import cli
from kb.data import METADATA
from kb.publish import datasette_env

APPEALS_SENTENCE = "商家应当确保所提交的申诉材料真实有效"  # kuajing/appeals: unchanged, its 生效日期 re-stated


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def saved(data) -> dict[int, dict]:
    result = run("citations", "list", "--data", data, "--json")
    assert result.exit_code == 0, result.output
    return {c["id"]: c for c in map(json.loads, result.output.splitlines())}


def open_alerts(data) -> dict[str, set]:
    found = {}
    for r in rows(data / "policykb.db", "select kind, subject from alerts where state = 'open'"):
        found.setdefault(r["subject"], set()).add(r["kind"])
    return found


def first_sentence(data, document_id, min_len=60) -> str:
    text = rows(data / "policykb.db", "select text_markdown from versions where document_id = ? and seq = 1",
                [document_id])[0]["text_markdown"]
    return next(s.strip() for s in re.split(r"(?<=\.)\s+|\n", text)
                if len(s.strip()) >= min_len and not re.search(r"[#*\[\]|]", s))


def add(data, quote, *extra) -> int:
    result = run("citations", "add", quote, "--data", data, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["id"]


@pytest.fixture(scope="module")
def watched(tmp_path_factory, expected):
    """The demo built at its first date, six citations saved, then the other dates built."""
    data = tmp_path_factory.mktemp("citations") / "data"
    first, *later = expected["dates"]
    kbfactory.build_kb(data, [first])
    docs = expected["documents"]
    ids = {
        "changed_en": add(data, docs["demomart/account-health"]["changes"]["2026-04-01"]["removed"][0],
                          "--label", "Client A 客户甲"),
        "changed_zh": add(data, docs["kuajing/ip-infringement"]["changes"]["2026-07-01"]["removed"][0],
                          "--platform", "kuajing"),
        "removed": add(data, first_sentence(data, "demomart/prohibited-products")),
        "effective": add(data, APPEALS_SENTENCE),
        "current": add(data, first_sentence(data, "demomart/appeals"), "--label", "<script>x</script>"),
    }
    before = saved(data)
    kbfactory.build_kb(data, later)
    return data, ids, before


def test_saved_citations_start_current_with_their_selectors(watched):
    data, ids, before = watched
    for c in before.values():
        assert c["state"] == "current" and c["version_seq"] == 1
        assert c["exact"] and 0 <= c["start"] < c["end"] and c["end"] - c["start"] == len(c["exact"])
    assert before[ids["changed_en"]]["label"] == "Client A 客户甲"


def test_a_reworded_sentence_goes_to_changed_with_an_alert(watched, expected):
    data, ids, _ = watched
    now = saved(data)
    for key, doc, date in (("changed_en", "demomart/account-health", "2026-04-01"),
                           ("changed_zh", "kuajing/ip-infringement", "2026-07-01")):
        c = now[ids[key]]
        spec = expected["documents"][doc]["changes"][date]
        assert c["state"] == "changed" and c["changed_at"][:10] == date
        assert any(phrase in c["now_wording"] for phrase in spec["added"])
        assert open_alerts(data)[f"citation/{c['id']}"] == {"citation_changed"}


def test_a_removed_page_goes_to_removed_with_an_alert(watched, expected):
    data, ids, _ = watched
    c = saved(data)[ids["removed"]]
    assert c["state"] == "removed" and c["changed_at"][:10] == expected["documents"]["demomart/prohibited-products"]["gone"]
    assert open_alerts(data)[f"citation/{c['id']}"] == {"citation_removed"}


def test_a_new_effective_date_for_its_section_alerts(watched, expected):
    data, ids, _ = watched
    c = saved(data)[ids["effective"]]
    effective = expected["documents"]["kuajing/appeals"]["effective"]
    assert c["state"] == "current"
    assert (c["effective_date"], c["now_effective_date"]) == (effective["2026-01-15"], effective["2026-04-01"])
    assert open_alerts(data)[f"citation/{c['id']}"] == {"citation_effective"}
    out = run("citations", "list", "--data", data).output
    assert f"new effective date 新生效日期: {effective['2026-04-01']}" in out


def test_an_unchanged_citation_stays_current_without_alert(watched):
    data, ids, _ = watched
    c = saved(data)[ids["current"]]
    assert c["state"] == "current" and c["now_section_key"] == c["section_key"]
    assert f"citation/{c['id']}" not in open_alerts(data)


def test_removing_a_citation_resolves_its_alert_and_check_rechecks_all(watched, tmp_path):
    data = tmp_path / "data"
    copy_data(watched[0], data)
    cid = watched[1]["changed_en"]
    assert run("citations", "remove", cid, "--data", data).exit_code == 0
    result = run("citations", "check", "--data", data, "--json")
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == len(watched[1]) - 1
    assert f"citation/{cid}" not in open_alerts(data)


def test_export_import_round_trip_keeps_selectors(watched, demo_copy, tmp_path):
    data = watched[0]
    out = tmp_path / "citations.jsonld"
    assert run("citations", "export", "--data", data, "-o", out, "--base-url", "https://kb.example").exit_code == 0
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert collection["@context"] == ANNO_CONTEXT and collection["type"] == "AnnotationCollection"
    items = collection["first"]["items"]
    assert collection["total"] == len(items) == len(watched[1])
    for a in items:
        # the data model's required fields, checked here by hand as well as by the validator
        assert a["type"] == "Annotation" and a["id"].startswith("urn:uuid:")
        target = a["target"]
        assert re.fullmatch(r"https://kb\.example/-/policykb/doc/[a-z-]+/[a-z-]+/v/\d+", target["source"])
        quote, position = target["selector"]
        assert quote["type"] == "TextQuoteSelector" and {"exact", "prefix", "suffix"} <= set(quote)
        assert position["type"] == "TextPositionSelector" and position["end"] - position["start"] == len(quote["exact"])
        assert annotation_problems({"@context": ANNO_CONTEXT, **a}) == []
    result = run("citations", "import", out, "--data", demo_copy)
    assert result.exit_code == 0, result.output
    again = json.loads(run("citations", "export", "--data", demo_copy, "--base-url", "https://kb.example").output)
    assert again["first"]["items"] == items
    result = run("citations", "import", out, "--data", demo_copy)  # already saved: left alone
    assert result.exit_code == 0 and f"{len(items)} already saved" in result.output
    states = {c["uri"]: c["state"] for c in saved(demo_copy).values()}
    assert states == {c["uri"]: c["state"] for c in saved(data).values()}


def test_bad_annotations_are_refused_before_anything_is_saved(demo_copy, tmp_path):
    bad = tmp_path / "bad.json"
    for doc, why in (([{"@context": ANNO_CONTEXT, "id": "urn:x", "type": "Annotation"}], "target"),
                     ({"@context": ANNO_CONTEXT, "id": "urn:y", "type": "Annotation",
                       "target": {"source": "https://kb.example/-/policykb/doc/demomart/appeals/v/1",
                                  "selector": {"type": "TextPositionSelector", "start": 5, "end": 2}}}, "exact"),
                     ({"@context": ANNO_CONTEXT, "id": "urn:z", "type": "Annotation",
                       "target": {"source": "https://kb.example/-/policykb/doc/demomart/appeals/v/99",
                                  "selector": {"type": "TextQuoteSelector", "exact": "sellers may appeal"}}},
                      "no version 99")):
        bad.write_text(json.dumps(doc), encoding="utf-8")
        result = run("citations", "import", bad, "--data", demo_copy)
        assert result.exit_code == 2 and why in result.output
    assert saved(demo_copy) == {}


@pytest.mark.parametrize("args, words", [
    (["citations", "add", "Sellers must keep their late shipment rate", "--label", " "], "--label"),
    (["citations", "add", "Sellers must keep their late shipment rate", "--platform", "nope"], "--platform"),
    (["citations", "add", "late rate"], "too short"),
    (["citations", "add", "Sellers must keep their late shipment rate", "--url", "nope/nope"], "--url nope/nope"),
    (["citations", "remove", "abc"], "ID"),
    (["citations", "remove", "0"], "ID"),
    (["citations", "remove", "9999"], "no citation 9999"),
    (["citations", "export", "--base-url", "ftp://x"], "--base-url"),
    (["citations", "import", "/nonexistent/file.json"], "cannot read"),
])
def test_every_option_is_validated_in_one_line(demo_kb, args, words):
    result = policykb(*args, "--data", demo_kb, check=False)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and lines[0].startswith("error: ")
    assert re.search(r"[\u4e00-\u9fff]", lines[0])  # English, then Chinese


def test_a_quote_found_nowhere_is_not_saved(demo_copy):
    result = policykb("citations", "add", "this sentence is in none of the demo help pages at all", "--data",
                      demo_copy, check=False)
    assert result.returncode == 1 and "nothing saved" in result.stderr
    assert saved(demo_copy) == {}


def test_citations_survive_rebuild(watched, tmp_path):
    data = tmp_path / "data"
    copy_data(watched[0], data)
    before = saved(data)
    policykb("rebuild", "--data", data, "--sources", DEMO_SOURCES)
    after = saved(data)
    keep = ("uri", "exact", "prefix", "suffix", "start", "end", "state", "label", "now_effective_date")
    assert {i: {k: c[k] for k in keep} for i, c in after.items()} == {i: {k: c[k] for k in keep}
                                                                      for i, c in before.items()}


@pytest.mark.asyncio
async def test_web_page_lists_each_citation_with_its_state_in_both_languages(watched):
    data, ids, _ = watched
    ds = Datasette([str(data / "policykb.db")], metadata={"plugins": {"policykb": {"private": True}}})
    states = {c["id"]: c["state"] for c in saved(data).values()}
    for lang, changed, removed in (("zh", "修改 changed", "删除 removed"), ("en", "changed 修改", "removed 删除")):
        page = await ds.client.get(f"/-/policykb/citations?hl={lang}")
        assert page.status_code == 200
        for cid, state in states.items():
            assert f'data-citation="{cid}" data-state="{state}"' in page.text
        assert changed in page.text and removed in page.text
    assert "<script>x</script>" not in page.text and "&lt;script&gt;x&lt;/script&gt;" in page.text
    post = await ds.client.post("/-/policykb/citations")
    assert post.status_code == 405
    home = await ds.client.get("/?hl=en")
    assert 'href="/-/policykb/citations"' in home.text


# --- privacy: a public instance never serves the watch list (its labels name a consultant's clients) ---------

LABEL = "Client A 客户甲"
LEAK_PATHS = ("/", "/?hl=en", "/policykb", "/policykb.json", "/policykb/alerts.json?_shape=array",
              "/policykb/alerts?_facet=kind", "/-/policykb/status", "/-/policykb/status.json", "/policykb.db",
              "/-/metadata.json")


@contextlib.contextmanager
def serving(data, *flags):
    """A real ``policykb serve`` (the command ``deploy/policykb-serve.service`` runs) on a copy of the KB."""
    port = free_port()
    proc = subprocess.Popen([*POLICYKB, "serve", "--data", str(data), "--port", str(port), *flags], cwd=ROOT,
                            env=dict(datasette_env(), PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
    try:
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "policykb serve did not start"
            try:
                if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_public_instance_serves_no_citation_and_no_label(watched, tmp_path):
    """``policykb serve`` (public): the table, its JSON, SQL that reads it (count included), the page and the
    home page's link are refused, and no label shows anywhere, alerts included; ``--private`` serves them."""
    data = tmp_path / "data"
    copy_data(watched[0], data)
    assert rows(data / "policykb.db", "select count(*) as n from alerts where subject like 'citation/%'")[0]["n"]
    with serving(data) as public:
        assert public.get("/policykb/citations").status_code == 403
        assert public.get("/policykb/citations.json").status_code == 403
        assert public.get("/policykb/citations/1.json").status_code == 403
        assert "citations" not in {t["name"] for t in public.get("/policykb.json").json()["tables"]}
        for sql in ("select label from citations", "select count(*) from citations",
                    "select answer_json from alerts, citations", "select * from (select * from citations)"):
            answer = public.get("/policykb.json", params={"sql": sql})
            error = answer.json()["error"] or ""
            assert answer.status_code >= 400 and ("prohibited" in error or "not authorized" in error), (sql, error)
        assert public.get("/policykb.json", params={"sql": "select count(*) from alerts"}).status_code == 200
        assert public.get("/-/policykb/citations").status_code == 404
        assert "/-/policykb/citations" not in public.get("/?hl=en").text
        for path in LEAK_PATHS:
            page = public.get(path)
            assert page.status_code == (403 if path.endswith(".db") else 200), (path, page.status_code)
            assert LABEL not in page.text and "Client A" not in page.text, path
    with serving(data, "--private") as private:
        page = private.get("/-/policykb/citations?hl=zh")
        assert page.status_code == 200 and LABEL in page.text
        assert private.get("/policykb/citations.json").status_code == 200
        assert 'href="/-/policykb/citations"' in private.get("/?hl=en").text


@pytest.mark.asyncio
async def test_the_published_metadata_is_public_unless_serve_says_private(watched, monkeypatch):
    """The metadata ``policykb serve`` publishes with, through Datasette's client: private only when the
    environment of ``serve --private`` says so (an inherited variable does not make an instance private)."""
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    db = str(watched[0] / "policykb.db")
    for private, status in ((False, 404), (True, 200)):
        env = datasette_env(private, environ={"POLICYKB_PRIVATE": "1"})
        monkeypatch.delenv("POLICYKB_PRIVATE", raising=False)
        if "POLICYKB_PRIVATE" in env:
            monkeypatch.setenv("POLICYKB_PRIVATE", env["POLICYKB_PRIVATE"])
        ds = Datasette([db], metadata=metadata)
        assert (await ds.client.get("/-/policykb/citations")).status_code == status
        sql = await ds.client.get("/policykb.json", params={"sql": "select label from citations"})
        assert (LABEL in [r[0] for r in sql.json()["rows"]]) is private


# --- re-anchoring: the wording copied elsewhere, a sentence moved to another section ----------------------

PAGE = """<html><head><title>Messaging Policy</title></head><body><div id="policy">
<h1>Messaging Policy</h1>
<h2>Part 1: Response times</h2>
<p>Buyers expect quick answers from every seller on the marketplace.{copy}</p>
<h2>2. Buyer messages</h2>
<p>Keep every message polite and factual. Sellers must reply to buyer messages within 48 hours of receipt.
Messages are kept for two years.</p>
<h2>3. Attachments</h2>
<p>Attachments may be images or PDF files of at most 10 MB.{moved}</p>
</div></body></html>
"""
COPIED = "Sellers must reply to buyer messages within 48 hours of receipt"
MOVER = "Messages are kept for two years."
RENAMED = "Buyers expect quick answers from every seller on the marketplace."  # in "Part 1: ...", renamed in v4


@pytest.fixture(scope="module")
def messaging_kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("citations-site")
    site, sources, data = root / "site", root / "sources", root / "data"
    page = site / "seller.watchtest.example" / "policies" / "messaging"
    page.mkdir(parents=True)
    (page / "2026-01-10.html").write_text(PAGE.format(copy="", moved=""), encoding="utf-8")
    # v2: the cited sentence also stands in section 1 now (section 2 keeps it)
    (page / "2026-02-10.html").write_text(PAGE.format(copy=f" {COPIED}, as a rule.", moved=""), encoding="utf-8")
    # v3: another cited sentence moved from section 2 to section 3
    (page / "2026-03-10.html").write_text(PAGE.format(copy=f" {COPIED}, as a rule.", moved=f" {MOVER}")
                                          .replace(f"\n{MOVER}</p>", "</p>"), encoding="utf-8")
    sources.mkdir()
    (sources / "watchtest.yml").write_text(
        "platform: watchtest\nname: WatchTest Market\nhomepage: https://seller.watchtest.example/\n"
        "documents:\n  - id: messaging\n    title: Messaging Policy\n"
        "    url: https://seller.watchtest.example/policies/messaging\n    locale: en-US\n    type: other\n"
        "    select: ['#policy']\n", encoding="utf-8")
    kbfactory.build_kb(data, ["2026-01-10"], sources, site)
    ids = {"copied": add(data, COPIED), "mover": add(data, MOVER), "renamed": add(data, RENAMED)}
    kbfactory.build_kb(data, ["2026-02-10"], sources, site)
    after_copy = saved(data)
    kbfactory.build_kb(data, ["2026-03-10"], sources, site)
    after_move = saved(data)
    # v4: a new section 2 comes first, so "2. Buyer messages" is now "3. Buyer messages" (same words, another
    # key) and "3. Attachments" is "4. Attachments"; "Part 1: Response times" is renamed under its number
    v3 = (page / "2026-03-10.html").read_text(encoding="utf-8")
    v4 = (v3.replace("<h2>3. Attachments</h2>", "<h2>4. Attachments</h2>")
          .replace("Part 1: Response times", "Part 1: Reply times")
          .replace("<h2>2. Buyer messages</h2>", "<h2>2. Returns</h2>\n<p>Returns are accepted within thirty days "
                   "of delivery.</p>\n<h2>3. Buyer messages</h2>"))
    (page / "2026-04-10.html").write_text(v4, encoding="utf-8")
    kbfactory.build_kb(data, ["2026-04-10"], sources, site)
    return data, ids, after_copy, after_move


def test_a_copy_elsewhere_does_not_move_the_citation(messaging_kb):
    """The wording now stands in section 1 too: the prefix and suffix keep the citation in section 2."""
    data, ids, after_copy, _ = messaging_kb
    c = after_copy[ids["copied"]]
    assert c["section_key"] == c["now_section_key"] and c["state"] == "current"
    assert len(rows(data / "policykb.db", "select id from versions")) == 4


def test_a_sentence_moved_to_another_section_alerts(messaging_kb):
    data, ids, _, after_move = messaging_kb
    c = after_move[ids["mover"]]
    assert c["state"] == "moved" and c["now_section_key"] != c["section_key"]
    assert "3" in c["now_section"] and "2" in c["section"]
    assert after_move[ids["copied"]]["state"] == "current"


def test_a_renumbered_or_renamed_heading_is_the_same_section_but_a_real_move_stays_moved(messaging_kb):
    """Its heading renumbered ("2. Buyer messages" → "3. Buyer messages") or renamed under its number ("Part 1:
    Response times" → "Part 1: Reply times"), the cited section is the same one, as the cite check says
    (kb.cite.answer._same_section): current, no alert. The sentence that went to "Attachments" (now section 4)
    is still moved, with its alert."""
    data, ids, _, _ = messaging_kb
    now = saved(data)
    mover = now[ids["mover"]]
    for same in (now[ids["copied"]], now[ids["renamed"]]):
        assert same["now_section_key"] != same["section_key"]  # the key did change (2 → 3, part-1-…)
        assert same["state"] == "current" and f"citation/{same['id']}" not in open_alerts(data)
    assert mover["state"] == "moved" and "4" in mover["now_section"] and "2" in mover["section"]
    assert open_alerts(data)[f"citation/{mover['id']}"] == {"citation_moved"}


def test_citation_alerts_go_out_through_the_alert_channels(watched, tmp_path, monkeypatch):
    """The alerts of the watch list are sent like every alert (here to an alert command, JSON on stdin)."""
    data = tmp_path / "data"
    copy_data(watched[0], data)
    sink = tmp_path / "sent.jsonl"
    monkeypatch.setenv("POLICYKB_ALERT_COMMAND", f"cat >> {sink}; echo >> {sink}")
    policykb("citations", "check", "--data", data)
    sent = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines() if line.strip()]
    kinds = {(a["kind"], a["subject"]) for a in sent}
    ids = watched[1]
    assert ("citation_changed", f"citation/{ids['changed_zh']}") in kinds
    assert ("citation_removed", f"citation/{ids['removed']}") in kinds
    assert ("citation_effective", f"citation/{ids['effective']}") in kinds
    assert not any(s == f"citation/{ids['current']}" for _, s in kinds)
    zh = next(a for a in sent if a["subject"] == f"citation/{ids['changed_zh']}")
    assert "引用的条款已于" in zh["message"] and zh["details"]["state"] == "changed"
    en = next(a for a in sent if a["subject"] == f"citation/{ids['changed_en']}")  # its label, sent only
    assert LABEL in en["message"] and en["details"]["label"] == LABEL
    assert not rows(data / "policykb.db", "select id from alerts where message like ? or details like ?",
                    ["%Client A%", "%Client A%"])


# --- Chinese pages: no state shown as stored ----------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("kb", ("watched", "messaging_kb"))
async def test_every_state_shows_in_chinese_first_on_the_zh_page(kb, request):
    """The page in Chinese shows each citation's state (moved included) under its Chinese label first, never as
    stored: every state of the two KBs (current, changed, removed, moved) and the label of an unchecked one."""
    from test_home import stored_values_shown

    from kb.labels import bilingual, label

    data = request.getfixturevalue(kb)[0]
    ds = Datasette([str(data / "policykb.db")], metadata={"plugins": {"policykb": {"private": True}}})
    page = await ds.client.get("/-/policykb/citations", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200 and stored_values_shown(page.text) == []
    states = {c["id"]: c["state"] for c in saved(data).values()}
    if kb == "messaging_kb":
        assert "moved" in states.values()
    for cid, state in states.items():
        badge = re.search(rf'data-citation="{cid}" data-state="{state}">.*?<span class="pkb-badge[^"]*">([^<]*)</span>',
                          page.text, re.S)
        assert badge and badge.group(1).strip() == bilingual(state, "zh"), (state, badge and badge.group(1))
        assert re.search(r"[\u4e00-\u9fff]", label(state, "zh")), state
    assert re.search(r"[\u4e00-\u9fff]", label("not_checked", "zh"))
