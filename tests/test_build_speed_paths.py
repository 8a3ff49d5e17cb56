"""The build's fast paths give what the plain definitions give (issue 19: build CPU per new document).

Each test compares a fast path with the straightforward computation it replaces, through the public functions.
"""

from pipeline.classify import TIME_RE, canonical, canonical_hash, cosmetic_reasons
from pipeline.dates import date_spans, states_a_date
from pipeline.text import plain_text

LINES = [
    "# Returns policy", "Last updated: March 20, 2026", "Rendered 2026-03-21 10:15 UTC", "Page generated at 10:15",
    "Sellers must ship within 2 business days.", "令和6年4月16日 更新", "本页面生成于 2026年3月21日", "",
    "Fees rise to 15% on 1 April 2026 for items over $2,000.", "- **Bold** _item_ with seller_id and `code`",
    "Visited 3 times, 1.7k views", "Generated on 21.03.2026 at 9:05 by the help centre renderer today",
    "| a | b |", "|---|---|", "Plain words without digits: a colon here", "2026",
]


def _render_dates_line_by_line(text, observed):
    """The render-date transform as first written: every line looked at."""
    from pipeline.classify import WORD_RE, _cut, _near

    out = []
    for line in text.split("\n"):
        spans = date_spans(line)
        if not (spans or (":" in line and TIME_RE.search(line))) or states_a_date(line):
            out.append(line)
            continue
        rest = TIME_RE.sub("", _cut(line, spans, lambda token: ""))
        words = len(WORD_RE.findall(rest))
        short = words <= 3
        line = _cut(line, spans, lambda t: "⟨date⟩" if short or (words <= 6 and _near(t, observed)) else t)
        if short or "⟨date⟩" in line:
            line = TIME_RE.sub("⟨time⟩", line)
        out.append(line)
    return "\n".join(out)


def test_render_dates_looks_only_at_lines_with_a_year_or_time_and_changes_them_as_before():
    from pipeline.classify import _render_dates

    for observed in (None, "2026-03-21T10:20:00Z"):
        for text in ("\n".join(LINES), "\n".join(reversed(LINES)), "\n\n".join(LINES) + "\n", "2026", "\n", ""):
            assert _render_dates(text, {"observed": observed}) == _render_dates_line_by_line(text, observed)
    changed = _render_dates("\n".join(LINES), {"observed": "2026-03-21T10:20:00Z"})
    assert "Rendered ⟨date⟩ ⟨time⟩\n" in changed and "Last updated: March 20, 2026" in changed


def test_render_dates_asks_whether_a_line_states_a_date_only_of_a_line_it_would_change():
    """_render_date_line asks states_a_date last, of lines it would change: each kind of line as before (a short
    line stating a date, a long one, one near the observed day, a line already holding the placeholder)."""
    from pipeline.classify import _render_dates

    lines = ["Effective 16 April 2026", "Effective date: 2026-04-16 10:00", "Printed 21.03.2026",
             "Printed on 21 March 2026 for you here", "Printed on 1 January 2020 for you here",
             "⟨date⟩ was printed at 10:15 in the long footer of this help page today",
             "Our fees changed on 1 April 2026 and apply to all orders placed since then by sellers",
             "Stand: 16. März 2026", "更新日期：2026年3月21日", "10:15", "Call 09:00-17:00 on weekdays only please"]
    for observed in (None, "2026-03-21T10:20:00Z"):
        text = "\n".join(lines + LINES)
        assert _render_dates(text, {"observed": observed}) == _render_dates_line_by_line(text, observed)
    kept = _render_dates("\n".join(lines), {"observed": "2026-03-21T10:20:00Z"}).split("\n")
    assert kept[0] == "Effective 16 April 2026" and kept[2] == "Printed ⟨date⟩" and kept[3] == "Printed on ⟨date⟩ for you here"


def test_canonical_hash_ignores_render_dates_and_keeps_substance():
    a = "\n".join(LINES)
    b = a.replace("Rendered 2026-03-21 10:15", "Rendered 2026-03-22 11:40")
    assert canonical_hash(a, "2026-03-21") == canonical_hash(b, "2026-03-22")
    assert cosmetic_reasons(a, b, "2026-03-21", "2026-03-22") == ["render_dates"]
    assert canonical_hash(a) != canonical_hash(a.replace("2 business days", "3 business days"))
    assert canonical(a) == canonical(a)


def test_plain_text_drops_marks_but_not_underscores_inside_words():
    md = "**Bold** and __strong__ and *em* _em_ `code` ``two`` seller_id snake_case_name * star 2*3 a_"
    assert plain_text(md) == "Bold and strong and em em code two seller_id snake_case_name  star 2*3 a"
    assert plain_text("[Link **text**](https://x.example/a_b)", keep_links=True) == "[Link text](https://x.example/a_b)"


class _NeverSplitHere(dict):
    """A ``kb.ingest._SPLIT_HERE`` that remembers nothing: every previous version is split again."""

    def setdefault(self, key, default=None):
        return {}


def _rows(path, sql):
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_rebuild_reading_back_the_sections_it_split_stores_what_splitting_again_stores(demo_copy, monkeypatch,
                                                                                         tmp_path):
    import shutil

    from kb import ingest
    from kb.build import rebuild
    from kb.data import kb_path
    from pipeline.sources import load_sources
    from conftest import DEMO_SOURCES

    platforms = load_sources(DEMO_SOURCES)
    queries = ["select id, version_id, key, heading, level, ordinal, text_markdown, start_line, changed_at,"
               " changed_version_id from sections order by id",
               "select change_id, key, old_key, status, moved, kind, chars_added, chars_removed, patch"
               " from change_sections order by id",
               "select id, kind, reasons, sections_added, sections_removed, sections_modified from changes order by id"]
    rebuild(demo_copy, platforms)
    reused = shutil.copy(kb_path(demo_copy), tmp_path / "reused.db")
    monkeypatch.setattr(ingest, "_SPLIT_HERE", _NeverSplitHere())
    rebuild(demo_copy, platforms)
    changed = _rows(kb_path(demo_copy), "select count(*) from changes")[0][0]
    assert changed > 0
    for sql in queries:
        assert _rows(reused, sql) == _rows(kb_path(demo_copy), sql)


def test_sections_read_back_are_the_sections_split(demo_copy):
    from kb import ingest
    from kb.db import open_db
    from kb.build import build
    from pipeline.sections import split_sections
    from pipeline.sources import load_sources
    from conftest import DEMO_SOURCES

    fresh = demo_copy.parent / "fresh"
    fresh.mkdir()
    (fresh / "warcs").symlink_to(demo_copy / "warcs", target_is_directory=True)
    db = open_db(fresh)
    try:
        build(db, fresh, load_sources(DEMO_SOURCES))
        split_here = ingest._SPLIT_HERE.get(db)
        assert split_here
        for doc_id, version_id in split_here.items():
            version = ingest._current(db, version_id)
            assert ingest._sections_of(db, doc_id, version) == split_sections(version["text_markdown"])
    finally:
        db.close()


def test_punctuation_of_mixed_text_is_each_character_translated():
    import unicodedata

    from pipeline.classify import _punctuation, _punctuation_table

    ascii_run = "Sellers must ship (within 2 days); see: https://x.example/a?b=c#d -- ok! " * 3
    for text in ("", ascii_run, "“Quoted” — dash… " + ascii_run + "「引用」、句読点。" + ascii_run + "é",
                 "根据政策，卖家必须（详见帮助）。" * 40, "Ｆｕｌｌ－ｗｉｄｔｈ！" + ascii_run,
                 "astral 𝐀𝐁 “x” 😀! \U000100a0\U00016af5 " + ascii_run, "\ud800 lone, surrogate", "¡¿«»‹›—–・‧"):
        expected = "".join(ch.translate(_punctuation_table()) for ch in unicodedata.normalize("NFKC", text))
        assert _punctuation(text, {}) == expected
    for text in _corpus_texts(step=10):  # real pages: the Basic Multilingual Plane's one pattern, or ASCII
        assert _punctuation(text, {}) == unicodedata.normalize("NFKC", text).translate(_punctuation_table())
    assert _punctuation("a “b” c", {}) == "a  b  c"


def test_punctuation_table_maps_every_code_point_as_defined():
    """The table fills itself as texts need it: every code point, asked in any order, maps as the definition says
    (a punctuation character but Markdown's marks to a space, any other to itself)."""
    import sys
    import unicodedata

    from pipeline.classify import _PunctuationTable

    table = _PunctuationTable()
    codes = list(range(sys.maxunicode + 1))
    for code in codes[::-1]:  # backwards, then forwards: the entries made earlier are read again
        table[code]
    for code in codes:
        char = chr(code)
        expected = " " if unicodedata.category(char).startswith("P") and char not in "*_#>|`~" else code
        assert table[code] == expected, hex(code)
    assert "a,b;c “d” e*f_g".translate(_PunctuationTable()) == "a b c  d  e*f_g"


SPACED = ["", "\n", "a", " a ", "a  b", "a\tb", "a \u00a0 b", "\u3000全角\u3000 空格", "x\u2003\u2009y", " \n \n\n\n\n b ",
          "line one  \r\nline\ttwo\r\rthree\u202f\u205f!", "zero\u200bwidth\u00ad and e\u0301", "a \t", "\t\t", "  \n",
          "- item\n\n\n\n- item  two \n   \n  ", "one\n\n\ntwo\n\n\n\n\nthree\n"]


def _normalize_text_line_by_line(markdown):
    """normalize_text as first written: each line's spaces replaced on their own."""
    import unicodedata

    from pipeline.normalize import BLANKS_RE, SPACES_RE, ZERO_WIDTH_RE

    text = ZERO_WIDTH_RE.sub("", unicodedata.normalize("NFC", markdown))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [SPACES_RE.sub(" ", line).strip() for line in text.split("\n")]
    text = BLANKS_RE.sub("\n\n", "\n".join(lines)).strip()
    return text + "\n" if text else ""


def test_normalize_text_gives_the_lines_of_the_line_by_line_definition():
    from itertools import product

    from pipeline.normalize import normalize_text

    pieces = [" ", "  ", "\t", "\u00a0", "\u3000", "\n", "\n\n\n", "\r\n", "w", "字", "\u200b", "\u2002 \u2002"]
    texts = SPACED + ["".join(p) for p in product(pieces, repeat=3)]
    for text in texts:
        assert normalize_text(text) == _normalize_text_line_by_line(text), repr(text)
    assert normalize_text("a \u00a0 b\n\n\n\nc  ") == "a b\n\nc\n"


def test_insert_rows_writes_the_rows_sqlite_utils_insert_all_writes():
    import datetime
    import sqlite3

    import sqlite_utils

    from kb.store import insert_rows

    def fresh():
        db = sqlite_utils.Database(sqlite3.connect(":memory:"))
        db.execute("create table t (id text primary key, n integer, x real, s text, j text, d text default 'dflt',"
                   " \"odd name\" text)")
        return db

    batches = [
        [{"id": "a", "n": 1, "x": 1.5, "s": "é", "j": {"k": ["v", 2]}, "d": None, "odd name": "q"},
         {"id": "b", "n": True, "x": None, "s": "", "j": [1, "二"], "d": datetime.date(2026, 1, 2), "odd name": None}],
        [{"id": "c", "n": 2}, {"id": "d", "s": "only s"}],  # differing columns: a missing one is NULL or default
        [{"id": f"r{i}", "n": i, "j": (i, "t")} for i in range(250)],
        [],
    ]
    for rows in batches:
        for replace in (False, True):
            plain, fast = fresh(), fresh()
            plain["t"].insert_all([dict(r) for r in rows], replace=replace)
            insert_rows(fast, "t", (dict(r) for r in rows), replace=replace)
            if rows and replace:  # the same rows again replace, not fail
                plain["t"].insert_all([dict(r, n=9) for r in rows], replace=True)
                insert_rows(fast, "t", [dict(r, n=9) for r in rows], replace=True)
            sql = "select rowid, * from t order by rowid"
            assert fast.execute(sql).fetchall() == plain.execute(sql).fetchall()
            assert not fast.conn.in_transaction  # committed, as sqlite_utils does outside a transaction


def _strip_counters_plain(markdown):
    """strip_counters as first written: each pattern run along the whole text."""
    from pipeline.normalize import COUNTER_FIRST_RE, COUNTER_WORD_RE, NUMBER_BEFORE_RE

    out, last = [], 0
    for m in COUNTER_WORD_RE.finditer(markdown):
        number = NUMBER_BEFORE_RE.search(markdown, max(last, m.start() - 24), m.start())
        if number:
            out.append(markdown[last:number.start()])
            last = m.end()
    out.append(markdown[last:])
    return COUNTER_FIRST_RE.sub("", "".join(out))


COUNTER_WORDS = ["views", "view", "vues", "vue", "Aufrufe", "visualizzazioni", "visualizaciones", "weergaven",
                 "wyświetleń", "wyświetlenia", "dilihat", "次浏览", "次閲覧", "次阅读", "人浏览", "人阅读", "人看过", "浏览",
                 "浏览量", "次浏览量", "阅读", "阅读量", "閲覧", "閲覧数", "浏览次数", "阅读数"]


def test_strip_counters_removes_what_the_whole_text_patterns_remove():
    from itertools import product

    from pipeline.normalize import strip_counters

    words = COUNTER_WORDS + [w.upper() for w in COUNTER_WORDS] + [w.title() for w in COUNTER_WORDS]
    words += ["VİEWS", "vıews", "vİews", "revıew", "overview", "Divide", "we", "au", "人"]
    befores = ["", "1.7k ", "12 ", "09/01/20241.7k ", "3,400+ ", "x ", "2024 ", "1 234 ", "5万"]
    afters = ["", ": 12", " 1,234", "：120", " views", "次", "\n"]
    texts = ["".join(p) for p in product(befores, words, afters)]
    texts += ["Seen 12 views, 3 vues and 阅读 1234 · 1.7k views", "人浏览人浏览 12人浏览", "İ 12 views", "12 vıews ı",
              "no counter at all", "", "1.7k views\n" * 3, "浏览量: 5 浏览 6 VIEWS 7 views: 8"]
    assert len(texts) > 5000
    for text in texts:
        assert strip_counters(text) == _strip_counters_plain(text), repr(text)
    assert strip_counters("Read it (1.7k views) · 阅读 1234") == "Read it () · "


def _formatting_plain(text):
    import re

    text = re.sub(r"^\s{0,3}#{1,6}\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*[-*+]\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", "", text, flags=re.MULTILINE)
    text = text.replace("|", " ")
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>~])", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|_|~~|`)", "", text)
    return text.casefold()


def test_formatting_runs_each_pattern_only_where_it_can_match_and_gives_the_same_text():
    from itertools import product

    from pipeline.classify import _formatting

    pieces = ["# ", "## H", "> q", ">", "- a", "* b", "| a | b |", "|---|:---:|", "---", "\\*", "\\\\", "**x**",
              "_y_", "`c`", "\n", "  ", "text", "\n\n", "-\n", "\t"]
    for combo in product(pieces, repeat=3):
        text = "".join(combo)
        assert _formatting(text, {}) == _formatting_plain(text), repr(text)
    whole = "\n".join(LINES)
    assert _formatting(whole, {}) == _formatting_plain(whole)
    for text in _corpus_texts(step=6) + ["- a\n- \n- b\n\n\n  # h\n>\n> q\n|---|\n\t---\n"]:
        assert _formatting(text, {}) == _formatting_plain(text)


def _plain_text_plain(markdown, collapse_space=False):
    """plain_text (without keep_links) as first written: every pattern run on every text."""
    from pipeline.text import _MD_HEADING_RE, _MD_LINE_MARK_RE, _MD_NOISE_RE, _MD_TABLE_RULE_RE, link_text

    text = link_text(markdown)
    text = _MD_TABLE_RULE_RE.sub("", _MD_HEADING_RE.sub("", text))
    text = _MD_NOISE_RE.sub("", _MD_LINE_MARK_RE.sub("", text))
    return " ".join(text.split()) if collapse_space else text


def test_plain_text_runs_each_pattern_only_where_it_can_match_and_gives_the_same_text():
    from itertools import product

    pieces = ["# ", "### H", "> q", "- a", "* b", "+ c", "| a | b |", "|---|:---:|", "---", "[t](/u)", "![i](x.png)",
              "**x**", "_y_", "a_b", "`c`", "\n", "  ", "\t", "text", "](", "#tag"]
    for combo in product(pieces, repeat=3):
        text = "".join(combo)
        for collapse in (False, True):
            assert plain_text(text, collapse_space=collapse) == _plain_text_plain(text, collapse), repr(text)
    assert plain_text(None) == _plain_text_plain(None) == ""
    whole = "\n".join(LINES)
    assert plain_text(whole) == _plain_text_plain(whole)


def test_per_line_date_answers_remembered_are_the_answers_computed():
    """find_dates, date_spans and states_a_date remember each line's answer (pipeline.dates.LINE_CACHE): asked
    twice, in any order, they give what the plain per-line computation gives."""
    from pipeline import dates

    lines = LINES + ["Last updated: 16 April 2024", "Dernière mise à jour : 16 avril 2024", "更新日期：2024年4月16日",
                     "Gültig ab 1. Mai 2024, Stand 16. März 2024", "© 2024 Example", "Version 2024",
                     "Effective March 1, 2025 to April 2, 2025", "令和6年4月16日 施行"]
    text = "\n".join(lines)
    for locale in ("en-US", "de-DE", "fr-FR", "zh-CN", "ja-JP", None):
        first, again = dates.find_dates(text, locale), dates.find_dates(text, locale)
        assert first == again
        lang, order = dates._lang(locale), dates.numeric_order(locale)
        for line in lines:
            if dates.YEAR_RE.search(line):
                assert dates._line_statements(line, lang, order) == tuple(dates._statements_on_line(line, lang, order))
    for line in lines * 2:
        assert dates.date_spans(line) == list(dates._date_spans.__wrapped__(line) if dates.YEAR_RE.search(line) else [])
        assert isinstance(dates.date_spans(line), list)
        plain = bool(dates.YEAR_RE.search(line)) and next(dates._statements_on_line(line, None, "MDY"), None) is not None
        assert dates.states_a_date(line) == plain
    assert any(dates.states_a_date(line) for line in lines) and any(dates.date_spans(line) for line in lines)


def test_clause_match_with_its_one_pattern_gate_matches_each_pattern_tried_in_turn(monkeypatch):
    """The gate (``ANY_CLAUSE_RE``, every clause pattern in one) only rejects early: with a gate that lets every
    line through, ``clause_match`` tries each pattern in turn, as it was first written."""
    import re
    from itertools import product

    from pipeline import sections
    from pipeline.sections import clause_match

    def _clause_match_plain(line, in_heading=True):
        with monkeypatch.context() as m:
            m.setattr(sections, "ANY_CLAUSE_RE", re.compile(""))
            return clause_match(line, in_heading)

    starts = ["", "- ", "**", "[", "1. ", "1\\. ", "6.1 ", "3.2.1.", "Section 4", "ART. 7", "§ 2", "第三条 ", "第3章",
              "一、", "1、", "（二）", "(b) ", "B) ", "(iv) ", "(12) ", "x) ", "Artículo 5", "[2.1](#a) ", "Seller ", "2024"]
    ends = ["", "Title", " text", "**", ")", "\t"]
    for a, b in product(starts, ends):
        line = a + b
        for in_heading in (True, False):
            assert clause_match(line, in_heading) == _clause_match_plain(line, in_heading), repr(line)
    for line in LINES:
        assert clause_match(line, False) == _clause_match_plain(line, False)


def test_link_targets_and_clean_urls_are_those_of_their_plain_forms():
    from itertools import product

    from pipeline.classify import AUTOLINK_RE, BARE_URL_RE, LINK_RE, _link_targets
    from pipeline.normalize import clean_url, strip_tracking

    def plain(text):
        text = LINK_RE.sub(lambda m: m.group(1), text)
        return BARE_URL_RE.sub("⟨url⟩", AUTOLINK_RE.sub("⟨url⟩", text))

    pieces = ["[a](/x)", "![i](y.png \"t\")", "<https://e.example/p>", "http://b.example/q?utm_source=z", "](", "<http",
              "text ", "\n", "[b]", "(c)"]
    for combo in product(pieces, repeat=3):
        text = "".join(combo)
        assert _link_targets(text, {}) == plain(text), repr(text)
    for url in ["/p?id=3&utm_medium=x&from=nav", "https://a.example/dp/1/ref=sr_1?th=1", "x", "/p?id=3&utm_medium=x"]:
        assert clean_url(url) == clean_url(url) == clean_url.__wrapped__(url)
    assert strip_tracking("[a](/p?id=3&utm_medium=x) <https://a.example/b?gclid=1>") == (
        "[a](/p?id=3) <https://a.example/b>")


def test_warm_up_loads_what_extraction_loads_on_first_use_and_changes_no_answer():
    from pipeline import classify, dates

    text = "Sellers must ship within two business days of the order. " * 20
    before = classify.detect_language(text)
    classify.warm_up()
    assert classify._IDENTIFIER is not None and dates._date_re.cache_info().currsize >= 1
    assert dates.keyword_patterns.cache_info().currsize >= 1
    assert classify.detect_language(text) == before == ("en", before[1])


def test_a_line_too_long_to_remember_gets_the_same_dates_and_is_not_kept():
    """The per-line date answers remember lines up to ``LINE_CACHE_CHARS`` only (bounded memory): a longer line
    gets what a short one with the same dates gets, and leaves the caches as they were."""
    from pipeline import dates

    short = "Last updated: March 5, 2024. Effective 1 April 2024."
    long = short + " filler" * (dates.LINE_CACHE_CHARS // 7 + 1)
    assert len(long) > dates.LINE_CACHE_CHARS
    caches = [dates._date_spans, dates._states_a_date, dates._line_statements]
    want = (dates.date_spans(short), dates.states_a_date(short),
            [(s.kind, s.date) for s in dates.find_dates(short, "en-US")])
    assert want[0] and want[1] is True and want[2]
    before = [c.cache_info().currsize for c in caches]
    assert (dates.date_spans(long), dates.states_a_date(long),
            [(s.kind, s.date) for s in dates.find_dates(long, "en-US")]) == want
    assert [c.cache_info().currsize for c in caches] == before


def _corpus_texts(step=1):
    """Normalized Markdown of real pages: the shared corpus's versions (every ``step``-th; none when it is absent)."""
    from conftest import CORPUS

    return [path.read_text(encoding="utf-8") for path in sorted((CORPUS / "versions").glob("*/*/*.md"))[::step]]


DATED_LINES = LINES + ["Last updated: 16 April 2024", "Last updated: 20__24-05-01", "Stand: 1. März 20**24**",
                       "令和6年4月16日 施行", "平成", "12345 and 2024", "x__1", "1**", "Effective **2024**-03-01",
                       "页面\x0c2024年1月1日起施行", "line\u2028Last updated 2024-01-02", "a\r\nEffective 3 May 2024\r"]


def test_find_dates_reads_only_the_lines_with_a_year_and_finds_what_reading_every_line_finds(monkeypatch):
    """``find_dates`` looks at the lines its one-text search says can hold a year (:func:`_lines_with_a_year`); with
    every line looked at (the gate opened), the same statements, on real pages and on lines made to test the gate."""
    from itertools import product

    from pipeline import dates

    def every_line(text):
        return enumerate(text.splitlines(), 1)

    texts = ["\n".join(DATED_LINES), "\n".join(reversed(DATED_LINES)), "", "\n", "2024", "20**24**"]
    texts += ["".join(p) for p in product(["2024", "1**", "**1", "令和", "\n", "x", "\u2029", "Effective "], repeat=3)]
    texts += _corpus_texts(step=5)
    for text in texts:
        for locale in ("en-US", "de-DE", "ja-JP", None)[:2 if len(text) > 100 else 4]:
            fast = dates.find_dates(text, locale)
            with monkeypatch.context() as m:
                m.setattr(dates, "_lines_with_a_year", every_line)
                assert fast == dates.find_dates(text, locale), repr(text[:80])
    found = dates.find_dates("\n".join(DATED_LINES), "en-US")
    assert {s.date for s in found} >= {"2024-04-16", "2024-05-01", "2024-01-02", "2024-05-03"}


def test_the_pattern_of_lines_worth_a_render_date_look_matches_what_its_plain_spelling_matches():
    import re
    from itertools import product

    from pipeline.classify import _MAYBE_DATED_RE

    plain = re.compile(r"(?<!\d)\d{4}(?!\d)|令和|平成|\d:\d")
    pieces = ["1", "2024", "12345", "令和", "平成", "令", "和", "1:3", ":", " ", "\n", "a", "١٢٣٤"]
    texts = ["".join(p) for p in product(pieces, repeat=3)] + ["\n".join(LINES)] + _corpus_texts(step=5)
    for text in texts:
        assert [m.span() for m in _MAYBE_DATED_RE.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_strip_tracking_cleans_the_targets_the_plain_pattern_finds():
    from itertools import product

    from pipeline.normalize import LINK_TARGET_RE, _clean, strip_tracking

    def plain(markdown):
        def repl(m):
            if m.group(1):
                return m.group(1) + _clean(m.group(2)) + m.group(3)
            return m.group(4) + _clean(m.group(5)) + m.group(6)
        return LINK_TARGET_RE.sub(repl, markdown)

    pieces = ["[a](/x?utm_source=1)", "](", "<https://e.example/p?gclid=2>", "<http", ")", '](/p "t")', "]( x)", "<",
              "text ", "\n", "https://b.example/?ref=3"]
    texts = ["".join(p) for p in product(pieces, repeat=3)] + _corpus_texts(step=5)
    for text in texts:
        assert strip_tracking(text) == plain(text), repr(text[:80])


def test_counters_and_normalization_of_real_pages_are_those_of_the_plain_definitions():
    from pipeline.normalize import normalize_text, strip_counters

    texts = _corpus_texts(step=4) + ["viſualizzazioni 12 viſualizzazioni", "12 Viſualizaciones", "1 DİLİHAT", "3 Aufrufe"]
    for text in texts:
        assert strip_counters(text) == _strip_counters_plain(text)
        assert normalize_text(text) == _normalize_text_line_by_line(text)
    assert strip_counters("12 viſualizzazioni") == ""


def test_clause_match_reads_past_list_marks_formatting_and_link_parts_as_their_patterns_substituted_do(monkeypatch):
    """``clause_match`` cuts a line's list marker and leading formatting by one match at the start and its link
    parts only where a "](" stands; with each pattern's ``sub`` run along the line (the plain form), the same
    answers, on made-up lines and the lines of real pages."""
    from itertools import product

    from pipeline import sections

    plain_after = lambda pattern, line: pattern.sub("", line)  # noqa: E731

    pieces = ["- ", "* ", "  ", "**", "_", "[", "](#a)", "]", "1. ", "1\\. ", "6.1 ", "(a) ", "第三条", "Section 4", "text"]
    lines = ["".join(p) for p in product(pieces, repeat=3)] + LINES
    lines += [line for text in _corpus_texts(step=20) for line in text.splitlines()]
    fast = {line: [sections.clause_match(line, h) for h in (True, False)] for line in lines}
    with monkeypatch.context() as m:
        m.setattr(sections, "_after_start", plain_after)
        for line in lines:
            assert [sections.clause_match(line, h) for h in (True, False)] == fast[line], repr(line)
    for line in lines:  # the link parts: cut only where a "](" stands, else only the "[" at the start
        cut = line[1:] if line[:1] == "[" else line
        assert ("](" in line or sections._LINK_PARTS_RE.sub("", line) == cut), repr(line)
    assert sections.clause_match("- **[6.1](#x) Returns**") == ("6.1", False)


def test_script_counts_start_at_the_first_cjk_character_and_count_as_the_whole_text_does():
    from pipeline.classify import _SCRIPT_RE, _script_counts

    def plain(text):
        counts = {"han": 0, "kana": 0, "hangul": 0, "letters": sum(1 for ch in text if ch.isalpha())}
        for m in _SCRIPT_RE.finditer(text):
            if m.group().isalpha():
                counts[m.lastgroup] += 1
        return counts

    texts = ["", "plain ascii", "abc 漢字 かな 한글 \u1100 ・ ー", "政策" * 50, "é" * 10 + "ﾃｽﾄ", "\u3400\u4dbf\uf900\uac00\ud7af"]
    texts += [text[:6000] for text in _corpus_texts(step=10)]
    for text in texts:
        assert _script_counts(text) == plain(text)


def _fingerprint_plain(el, out, keep=False):
    """The fingerprint of an element as first written: every element's attributes read, every string folded by
    ``_folded``."""
    from pipeline.extract import _KEEP_SPACES, CONVERTED_ATTRIBUTES, _folded

    out.append("<" + el.tag)
    attrib = dict(el.attrib)
    for name in sorted(CONVERTED_ATTRIBUTES.intersection(attrib)):
        out.append(f"@{name}={attrib[name]}")
    keep = keep or el.tag in _KEEP_SPACES
    out.append(_folded(el.text, keep))
    for child in el:
        _fingerprint_plain(child, out, keep)
        out.append(_folded(child.tail, keep))
    out.append(">")


def test_page_fingerprints_are_those_of_the_plain_walk(monkeypatch):
    """The fingerprint (stored with each check: a page whose fingerprint is the current one's is not converted) of
    real pages, the demo's and made-up ones is the one the plain walk gives."""
    from conftest import CORPUS, ROOT
    from pipeline import extract

    pages = [p.read_bytes() for p in sorted((CORPUS / "html").rglob("*.html"))][::3]
    pages += [p.read_bytes() for p in sorted((ROOT / "replay" / "sites" / "demo").rglob("*.html"))]
    pages += [b"<html><body><main><pre>  \n </pre><p title='t' class=x> </p>\n\t<a href=/x>a</a> <br/> tail\n"
              b"<textarea>\n </textarea><td colspan=2>c</td></main></body></html>"]
    checked = 0
    for body in pages:
        for select in (("main", "article", "#content", "body"), ("p, li",)):
            decoded = extract.decode_page(body, "text/html")
            page = extract.parse_page(decoded, select)
            if page is None:
                continue
            fast = page.fingerprint()
            with monkeypatch.context() as m:
                m.setattr(extract, "_fingerprint_of", _fingerprint_plain)
                assert page.fingerprint() == fast
            checked += fast is not None
    assert checked >= 2


#: What a build derives, row by row (as ``bench/kb_compare.py`` compares two KBs).
DERIVED = {
    "versions": "select id, document_id, seq, content_hash, text_markdown, effective_date, observed_at, rules_hash,"
                " canonical_hash, language from versions order by id",
    "sections": "select * from sections order by id",
    "changes": "select * from changes order by id",
    "change_sections": "select * from change_sections order by id",
    "dated_statements": "select * from dated_statements order by id",
    "checks": "select document_id, checked_at, outcome, reason, content_hash, version_id, extracted_hash, selector"
              " from checks order by document_id, checked_at, outcome, content_hash",
    "rule_values": "select * from rule_values order by id",
    "rule_value_changes": "select * from rule_value_changes order by id",
    "glossary_evidence": "select term_id, kb_platform_id, document_id, version_id, section_id, section_key,"
                         " section_heading, occurrences, snippet from glossary_evidence order by rowid",
    "glossary_candidates": "select kb_platform_id, language, candidate, kind, occurrences, documents,"
                           " example_document_id, example_section_id, example from glossary_candidates order by rowid",
    "change_concepts": "select * from change_concepts order by rowid",
}


def test_a_build_with_worker_processes_stores_what_a_build_in_one_process_stores(demo_copy, tmp_path, monkeypatch):
    """Two worker processes (``POLICYKB_BUILD_WORKERS=2``) extract the pages and prepare their new texts' dates,
    sections, hash and change from the current text, read the rule values, search the glossary evidence and the
    concepts of changes; the one writer stores it all: the
    same rows, in the same order, as a rebuild that does everything in its own process (``0``)."""
    from conftest import DEMO_SOURCES, copy_data, policykb, rows

    stored = {}
    for workers in ("0", "2"):
        data = copy_data(demo_copy, tmp_path / f"workers-{workers}")
        monkeypatch.setenv("POLICYKB_BUILD_WORKERS", workers)
        policykb("rebuild", "--data", data, "--sources", DEMO_SOURCES)
        stored[workers] = {table: rows(data / "policykb.db", sql) for table, sql in DERIVED.items()}
    for table in DERIVED:
        assert stored["2"][table] == stored["0"][table], table
    # the demo has them all: several versions of a document, their changes, values that changed, evidence
    assert all(stored["2"][t] for t in ("changes", "change_sections", "rule_values", "rule_value_changes",
                                        "glossary_evidence", "glossary_candidates", "change_concepts"))


def test_fold_by_index_in_one_string_folds_every_character_as_the_table_of_its_changes_does():
    from pipeline.fold import fold, fold_table

    table = fold_table()

    class Plain(dict):  # a miss is the character itself, as the first fold's table had it
        def __missing__(self, code):
            return code

    plain = Plain(table)
    every = "".join(chr(cp) for cp in range(0x10000)) + "𝐀𝐁😀\U000100a0\U00016af5\U0010ffff"
    assert fold(every) == every.translate(plain)
    for text in ("申訴規則 Ａ１　“Late” – Shipment", "裡面 裏面", "ΣΑΣ Straße İstanbul", "ascii ONLY", ""):
        assert fold(text) == text.translate(plain)


def test_the_search_index_written_in_rowid_order_answers_as_one_written_in_version_order(demo_copy):
    """kb.store.search_index writes a batch's wordings in rowid order (FTS5 flushes and merges at every lower rowid);
    the plain form wrote them in the order the texts are read (by version). Every word, prefix and filter token
    finds the same rows with the same rank either way."""
    import re
    import sqlite3

    from kb.data import kb_path
    from kb.search.parse import segment
    from kb.search.snippets import indexed_text
    from kb.store.search_index import reindex
    from pipeline.sqlrows import SECTION_SPAN_COLUMNS, fill_section_texts

    conn = sqlite3.connect(kb_path(demo_copy))
    try:
        reindex(conn)
        cur = conn.execute(f"select w.rowid, v.meta, {SECTION_SPAN_COLUMNS} from search_wordings w"
                           " join search_sections v on v.rowid = w.rowid join section_spans s on s.rowid = w.rowid"
                           " order by s.version_id desc, w.rowid desc")
        names = [d[0] for d in cur.description]
        rows = fill_section_texts(conn, [dict(zip(names, r)) for r in cur])
        assert len(rows) > 100 and [r["rowid"] for r in rows] != sorted(r["rowid"] for r in rows)
        conn.execute("create virtual table temp.plain using fts5(text, meta, content='', prefix='1',"
                     " tokenize='porter unicode61')")
        conn.executemany("insert into temp.plain (rowid, text, meta) values (?, ?, ?)",
                         [(r["rowid"], segment(indexed_text(r["text_markdown"])), r["meta"]) for r in rows])
        words = sorted({w for r in rows for w in re.findall(r"[a-z]{3,}", indexed_text(r["text_markdown"]))})
        metas = sorted({t for r in rows for t in r["meta"].split()})
        queries = [f'"{w}"' for w in words[::7]] + [f'"{w[:2]}"*' for w in words[::31]] + [f'"{t}"' for t in metas]
        assert len(queries) > 50
        for q in queries:
            fast = conn.execute("select rowid, bm25(search_short) from search_short where search_short match ?"
                                " order by rowid", [q]).fetchall()
            plain = conn.execute("select rowid, bm25(plain) from temp.plain where plain match ? order by rowid",
                                 [q]).fetchall()
            assert fast == plain, q
    finally:
        conn.close()


def _sort_list_blocks_plain(markdown, only_navigation=True):
    """pipeline.normalize.sort_list_blocks as first written: every line ends the block it may be in."""
    from pipeline.normalize import LIST_ITEM_RE, NAV_ITEM_RE

    out, block = [], []

    def flush():
        if len(block) > 1 and (not only_navigation or all(NAV_ITEM_RE.match(b) for b in block)):
            out.extend(sorted(block))
        else:
            out.extend(block)
        block.clear()

    for line in markdown.split("\n"):
        m = LIST_ITEM_RE.match(line)
        if m and not m.group(1):
            block.append(line)
        elif block and line.startswith((" ", "\t")) and line.strip():
            block[-1] += "\n" + line
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)


def test_sort_list_blocks_sorts_what_the_plain_loop_sorts():
    from pipeline.normalize import sort_list_blocks

    lists = ["- [b](/b)", "- [a](/a)", "  nested", "* c", "1. one", "2) two", "\t- tab", "", "text", "- [z](/z)",
             "   ", "+ plus", "- [y](/y) ", "> quote"]
    for text in ("\n".join(LINES + lists), "\n".join(lists * 3), "\n".join(reversed(lists)) + "\n", "", "- a"):
        for nav in (True, False):
            assert sort_list_blocks(text, nav) == _sort_list_blocks_plain(text, nav)


def test_segment_of_an_ascii_text_is_the_text():
    from kb.search.parse import CJK_RUN, segment

    for text in ("\n".join(LINES), "plain ASCII words 123", "", "中文 and ASCII", "日本語のテキスト"):
        expected = CJK_RUN.sub(lambda m: " " + " ".join(m.group(0)[i:i + 2] for i in range(len(m.group(0)) - 1))
                               + " " + m.group(0)[-1] + " ", text)
        assert segment(text) == expected
    assert not any(CJK_RUN.search(chr(cp)) for cp in range(128))


def test_a_section_s_hashes_and_body_are_computed_once_and_are_those_of_its_text():
    import hashlib

    from pipeline.sections import split_sections

    for section in split_sections("# Title\n\nIntro.\n\n## 2. Returns\n\nWithin 30 days.\n\n3. Refunds within 5 days."):
        assert section.content_hash == hashlib.sha256(section.text.encode()).hexdigest()
        assert section.body_hash == hashlib.sha256(section.body.encode()).hexdigest()
        assert section.body is section.body  # kept, not derived again
