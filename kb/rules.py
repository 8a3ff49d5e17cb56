"""Rule values in the KB: the build's derived step that reads new versions, and the read queries.

:func:`derive` reads each version the step has not read yet, or read with another glossary or extractor
(``rule_value_versions`` keeps the glossary's hash and ``pipeline.rules.extractor_state()`` each was read with),
in order, one transaction per version: ``pipeline.rules.extract`` on each section, the glossary concept of each value, and,
when the version follows another through a recorded change, the values that changed
(``pipeline.rules.value_changes``). A build killed half-way leaves whole versions read and the next converges.
A section whose text the document's previous version had is not read again: its values are that version's
(from memory, or from its stored rows when an earlier build read it: :func:`_stored_readings`); one read lately in
another document gives the values it gave there (``pipeline.rules.extract`` remembers them), and their concepts
are looked up once for a platform's glossary terms.
The reading (:func:`read_versions`, a pure function of the section texts) runs in the build's worker processes
(:mod:`kb.workers`) when there are enough versions; this process stores each version's rows in the same order.

The concept comes from the glossary through its own matcher (``glossary.match``): the subject's concept
(:data:`SUBJECT_CONCEPTS`) when one of its terms stands in the sentence or no term of another concept does;
else, for a metric, the concept whose term stands nearest the number. A new glossary reads every version again.

:func:`current_values`, :func:`value_changes` and :func:`topics` are the reads behind ``policykb rules`` and
the page ``/-/policykb/rules``.
"""

from __future__ import annotations

from pipeline import rules as extraction
from pipeline.sqlrows import rows as _rows
from pipeline.sqlrows import version_section_texts

#: the glossary concept a subject belongs to, where the glossary has one
SUBJECT_CONCEPTS = {
    "appeal": "appeal", "late_shipment_rate": "late-shipment-rate", "order_defect_rate": "order-defect-rate",
    "valid_tracking_rate": "valid-tracking-rate", "cancellation_rate": "pre-fulfillment-cancel-rate",
    "on_time_delivery_rate": "on-time-delivery-rate", "account_health_rating": "account-health-rating",
    "penalty_points": "penalty-points", "dispatch": "handling-time", "takedown": "listing-removal",
}


def _glossary_terms(conn, platform_id: str) -> dict:
    """``{language: [(concept_id, tokens)]}`` of the terms of the glossary platforms that cover the KB platform
    (``general`` among them), as the glossary's own impact step decides it (``Platform.covers``)."""
    from glossary.evidence import load_platforms
    from glossary.match import term_tokens
    from glossary.model import GENERAL

    try:
        platforms = load_platforms(conn)
        found = conn.execute("select concept_id, platform, language, term, case_sensitive from glossary_terms"
                             ).fetchall()
    except Exception:  # noqa: BLE001 - a KB without the glossary tables has no concepts to give
        return {}
    out: dict = {}
    for concept_id, platform, language, term, case_sensitive in found:
        if platform != GENERAL and ((p := platforms.get(platform)) is None or not p.covers(platform_id)):
            continue
        out.setdefault(language.split("-")[0], []).append(
            (concept_id, term_tokens(term, language, bool(case_sensitive)), bool(case_sensitive)))
    return out


def concept_for(value, language: str, terms: dict, known: set) -> str | None:
    """The glossary concept of one value (see the module's docstring), or None."""
    from glossary.match import TokenIndex

    preferred = SUBJECT_CONCEPTS.get(value.subject)
    candidates = terms.get((language or "").split("-")[0], []) + (terms.get("en", []) if language != "en" else [])
    found = []
    indexes = {}
    for concept_id, tokens, case_sensitive in candidates:
        index = indexes.get(case_sensitive)
        if index is None:  # built once per value and case (setdefault would build one per glossary term)
            index = indexes[case_sensitive] = TokenIndex(value.sentence, language or "en", case_sensitive)
        for a, b in index.find(tokens):
            start, end = index.span(a, b)
            found.append((min(abs(start - value.position), abs(end - value.position)), concept_id))
    concepts = {c for _, c in found}
    if preferred in known and (preferred in concepts or not concepts):
        return preferred
    if value.kind == "metric_threshold" and found:
        return min(found)[1]
    return preferred if preferred in known else None


#: The state every reading job of one :func:`derive` uses (:func:`_set_reader`): ``terms`` by KB platform
#: (:func:`_glossary_terms`) and the ``known`` concept ids; the ``concepts`` found so far, by the platform's ``terms``
#: (the first platform whose terms are these: most platforms' are the general glossary's alone), language and value:
#: a value read again (the same section in several documents) has the same concept, as :func:`concept_for` is a
#: function of these and the known ids.
_READER: dict = {}


def _set_reader(terms_by_platform: dict, known: set) -> None:
    _READER.clear()
    firsts: list = []
    for platform, terms in terms_by_platform.items():
        firsts.append(next((p for p in firsts if terms_by_platform[p] == terms), platform))
    _READER.update(terms=terms_by_platform, known=known, concepts={},
                   same_terms=dict(zip(terms_by_platform, firsts)))


def read_versions(platform: str, versions: list[tuple], earlier: dict | None = None) -> list[list[tuple]]:
    """A job of :func:`derive` (run by a worker process, or in the build's): the readings of consecutive versions
    of one document, ``[(section key, [(RuleValue, concept)])]`` per version, a pure function of their section texts.

    :param versions: ``(sections, language)`` per version, ``sections`` its ``[(key, markdown)]`` in order; a
        section whose text and language the previous version of the list read is not read again (reading is a
        function of the text and the language, the concept of the value and the glossary, which one derive does
        not change)
    :param earlier: the readings of the version before the first, ``{(markdown, language): [(RuleValue,
        concept)]}``, when an earlier derive read it (:func:`_stored_readings`): its unchanged sections are not
        read again either
    """
    terms, known, concepts = _READER["terms"][platform], _READER["known"], _READER["concepts"]
    same_terms = _READER["same_terms"][platform]

    def concept(value, language):
        key = (same_terms, language, value)
        if key not in concepts:
            concepts[key] = concept_for(value, language, terms, known)
        return concepts[key]

    out, earlier = [], earlier or {}
    for sections, language in versions:
        readings, read = {}, []
        for key, markdown in sections:
            reading = readings.get((markdown, language), earlier.get((markdown, language)))
            if reading is None:
                reading = [(v, concept(v, language)) for v in extraction.extract(markdown or "", language)]
            readings[(markdown, language)] = reading
            read.append((key, reading))
        out.append(read)
        earlier = readings
    return out


def _version_rows(version: dict, read: list[tuple]) -> tuple[list[dict], list[tuple]]:
    """The rule-value rows of one version from its readings (:func:`read_versions`), and ``(section_key,
    RuleValue, concept)`` for pairing."""
    rows, values = [], []
    language = _language(version)
    for key, reading in read:
        for n, (v, concept) in enumerate(reading):
            values.append((key, v, concept))
            rows.append({
                "id": f"{version['id']}/{key}/{n}", "version_id": version["id"],
                "document_id": version["document_id"], "platform_id": version["platform_id"], "section_key": key,
                "ordinal": n, "kind": v.kind, "value": v.value, "unit": v.unit, "subject": v.subject,
                "concept_id": concept, "comparator": v.comparator, "time_window": v.window, "action": v.action,
                "phrase": v.phrase, "evidence": v.sentence, "language": language,
                "observed_at": version["observed_at"]})
    return rows, values


def _language(version: dict) -> str:
    return version["language"] or version["locale"] or ""


def _change_rows(conn, version: dict, values: list[tuple], cache: dict) -> list[dict]:
    """The value changes from the version's predecessor (through the change that links them), else none."""
    change = conn.execute("select id, from_version_id, detected_at from changes where to_version_id = ?",
                          [version["id"]]).fetchone()
    if not change or not change[1]:
        return []
    old = cache.get(change[1])
    if old is None:
        old = [(r[0], _stored_value(r)) for r in conn.execute(_STORED_SQL, [change[1]])]
    concepts = {(key, v): c for key, v, c in values}
    out = []
    for n, (key, o, new) in enumerate(extraction.value_changes(old, [(k, v) for k, v, _ in values])):
        out.append({
            "id": f"{change[0]}/{key}/{n}", "ordinal": n, "change_id": change[0],
            "document_id": version["document_id"],
            "platform_id": version["platform_id"], "section_key": key, "kind": new.kind, "subject": new.subject,
            "concept_id": concepts.get((key, new)), "old_value": o.value, "new_value": new.value, "old_unit": o.unit,
            "new_unit": new.unit, "old_window": o.window, "new_window": new.window, "old_evidence": o.sentence,
            "new_evidence": new.sentence, "from_version_id": change[1], "to_version_id": version["id"],
            "detected_at": change[2]})
    return out


#: A version's stored values, ``_stored_value``'s columns first and the concept last, in their reading order.
_STORED_SQL = ("select section_key, kind, value, unit, subject, comparator, evidence, phrase, time_window, action, "
               "concept_id from rule_values where version_id = ? order by section_key, ordinal")


def _stored_value(row) -> extraction.RuleValue:
    return extraction.RuleValue(kind=row[1], value=row[2], unit=row[3], subject=row[4], comparator=row[5],
                                sentence=row[6], phrase=row[7] or "", window=row[8] or "", action=row[9] or "")


#: Below this many versions to read, :func:`derive` reads them in the build's process (see :func:`kb.workers.count`).
PARALLEL_MIN_VERSIONS = 16
#: At most this many consecutive versions of a document in one reading job when workers read them.
JOB_VERSIONS = 16


def _stored_readings(conn, version: dict, pending_ids: set) -> dict:
    """The readings of the version before ``version`` in its document, as an earlier derive stored them (``{}``
    when there is none, or when this derive reads it again: it is pending). Not pending means read with this
    derive's glossary and extractor, so its rows are what reading its sections again would give: a change build
    reads only the sections a new version changed."""
    before = conn.execute(
        "select v.id, v.language, d.locale from versions v join documents d on d.id = v.document_id"
        " where v.document_id = ? and v.seq < ? order by v.seq desc limit 1",
        [version["document_id"], version["seq"]]).fetchone()
    if before is None or before[0] in pending_ids:
        return {}
    language = before[1] or before[2] or ""
    stored: dict = {}
    for row in conn.execute(_STORED_SQL, [before[0]]):
        stored.setdefault(row[0], []).append((_stored_value(row), row[10]))
    sections = version_section_texts(conn, before[0])
    if not stored.keys() <= {r["key"] for r in sections}:  # keys changed since it was read: read everything again
        return {}
    return {(r["text_markdown"], language): stored.get(r["key"], []) for r in sections}


def _jobs(conn, pending: list[dict], per_job: int):
    """``(versions, (platform, [(sections, language)], earlier))`` for :func:`read_versions`: consecutive versions
    of one document, in ``pending``'s order (their sections read from the KB as the jobs are handed out), with the
    stored readings of the version before a document's first pending one (:func:`_stored_readings`)."""
    pending_ids = {v["id"] for v in pending}

    def job(chunk):
        first = chunk[0]
        return chunk, (first["platform_id"], [
            ([(r["key"], r["text_markdown"]) for r in version_section_texts(conn, v["id"])], _language(v))
            for v in chunk], _stored_readings(conn, first, pending_ids))

    chunk: list = []
    for version in pending:
        if chunk and (len(chunk) >= per_job or chunk[0]["document_id"] != version["document_id"]):
            yield job(chunk)
            chunk = []
        chunk.append(version)
    if chunk:
        yield job(chunk)


def _warm_up(languages) -> None:
    """Load in the parent what reading loads on first use per language (its patterns, its word list for words a PDF
    ran together, about 0.4 s each): the forked workers inherit them instead of each loading its own."""
    for language in languages:
        extraction.digits("30days within thirtydays", language)
        extraction.extract("Sellers must respond within 30 days.", language)


def derive(db) -> int:
    """Read every version not read yet, or read with another glossary or extractor (one transaction each);
    returns how many were read.

    The reading (:func:`read_versions`) runs in worker processes when there are enough versions
    (:class:`kb.workers.Workers`); this process stores each version's rows in ``pending``'s order, as it would
    read them itself."""
    from kb.glossary import glossary_hash
    from kb.store.rules import insert_version_values
    from kb.workers import Workers, count

    conn = db.conn
    state = {"glossary": glossary_hash(db) or "", "extractor": extraction.extractor_state()}
    pending = _rows(conn, """
        select v.id, v.document_id, v.seq, v.observed_at, v.language, d.locale, d.platform_id
        from versions v join documents d on d.id = v.document_id
        left join rule_value_versions r on r.version_id = v.id
        where r.version_id is null or coalesce(r.glossary, '') != :glossary or coalesce(r.extractor, '') != :extractor
        order by v.document_id, v.seq""", state)
    if not pending:
        return 0
    known = {r[0] for r in conn.execute("select id from glossary_concepts")}  # the table exists from 0300 on
    terms_by_platform = {p: _glossary_terms(conn, p) for p in sorted({v["platform_id"] for v in pending})}
    n = count(len(pending), PARALLEL_MIN_VERSIONS)
    cache: dict = {}
    languages = sorted({_language(v) for v in pending})
    with Workers(n, initializer=_set_reader, initargs=(terms_by_platform, known),
                 warm_up=lambda: _warm_up(languages)) as pool:
        # in this process, a document's versions are one job (a section unchanged since the previous version is
        # read once); in workers, jobs of at most JOB_VERSIONS spread a long history over the cores
        for chunk, read in pool.map(read_versions, _jobs(conn, pending, JOB_VERSIONS if n else len(pending)),
                                    window=4 * max(n, 1)):
            for version, version_read in zip(chunk, read):
                value_rows, values = _version_rows(version, version_read)
                change_rows = _change_rows(conn, version, values, cache)
                with db.atomic():
                    insert_version_values(db, version["id"], version["document_id"], value_rows, change_rows, state)
                cache = {version["id"]: [(k, v) for k, v, _ in values]}
    return len(pending)


_CURRENT_SQL = """
select r.platform_id, p.name as platform_name, p.name_zh as platform_name_zh, r.document_id, d.title, d.url,
       r.section_key, r.kind, r.value, r.unit, r.subject, r.concept_id, r.comparator, r.time_window, r.action,
       r.phrase, r.evidence, r.version_id, v.observed_at as version_observed_at,
       spans.first_seen,
       (select max(c.checked_at) from checks c where c.version_id = r.version_id) as last_seen
from rule_values r
join documents d on d.id = r.document_id and d.current_version_id = r.version_id
join versions v on v.id = r.version_id
left join platforms p on p.id = r.platform_id
left join (select document_id, section_key, kind, subject, value, unit, min(first_seen) as first_seen
           from rule_value_spans group by 1, 2, 3, 4, 5, 6) spans  -- the view once, not once a row: bench/bench_rule_spans.py
  on spans.document_id = r.document_id and spans.section_key = r.section_key and spans.kind = r.kind
 and spans.subject = r.subject and spans.value = r.value and spans.unit = r.unit
where (:concept is null or r.concept_id = :concept or (r.concept_id is null and r.subject = :concept))
  and (:platform is null or r.platform_id = :platform)
order by coalesce(r.concept_id, r.subject), r.platform_id, r.document_id, r.section_key, r.ordinal
"""


def current_values(conn, concept: str | None = None, platform: str | None = None) -> list[dict]:
    """The values the current version of each document states, with evidence and first/last seen (first seen: when
    the value's current unbroken run of versions began, as the view ``rule_value_spans`` defines it).

    :param concept: a glossary concept id (``appeal``) or, for values without one, a subject (``response``)
    :param platform: a platform id
    """
    return _rows(conn, _CURRENT_SQL, {"concept": concept, "platform": platform})


def value_changes(conn, concept: str | None = None, platform: str | None = None, limit: int = 200) -> list[dict]:
    """Recorded value changes, newest first (a change's values in their order)."""
    return _rows(conn, """
        select rc.*, d.title, d.url from rule_value_changes rc join documents d on d.id = rc.document_id
        where (:concept is null or rc.concept_id = :concept or (rc.concept_id is null and rc.subject = :concept))
          and (:platform is null or rc.platform_id = :platform)
        order by rc.detected_at desc, rc.change_id, rc.ordinal limit :limit""", {"concept": concept, "platform": platform,
                                                              "limit": limit})


def topics(conn) -> list[dict]:
    """What current values exist about: ``topic`` (a concept id, else a subject), how many values and platforms."""
    return _rows(conn, """
        select coalesce(r.concept_id, r.subject) as topic, r.concept_id is not null as is_concept,
               count(*) as "values", count(distinct r.platform_id) as platforms
        from rule_values r join documents d on d.id = r.document_id and d.current_version_id = r.version_id
        where coalesce(r.concept_id, r.subject) != ''
        group by 1 order by platforms desc, "values" desc, topic""")
