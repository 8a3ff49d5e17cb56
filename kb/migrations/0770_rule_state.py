"""Rule values read again when what they were read with changes (issue 23's review).

* ``rule_value_versions.glossary`` and ``.extractor``: the glossary (its hash, as in ``glossary_state``) and the
  extractor (``pipeline.rules.extractor_state()``: its version and a hash of the cue file) a version's values were
  read with. A version whose marks differ from the current ones is read again (``kb.rules.derive``); rows of an
  older KB carry none, so the next build reads every version again with today's extractor.
* ``rule_value_changes.ordinal``: a value change's place among its change's values (ids end in ``/<n>``, and
  ``/10`` sorts before ``/2`` as text); filled from the id for the rows already there.
* view ``rule_value_spans`` redefined: ``first_seen`` is when the value's current unbroken run of versions began
  (4 % → 3 % → 4 %: when 4 % came back), the same definition ``kb.rules.current_values`` uses.
"""

from kb.db import migrations

#: a value's run: consecutive versions of its document that state it (the same section, kind, subject, value
#: and unit); ``run_start`` is the seq of the first version of the run that holds ``r``'s version. ``kb.rules``
#: reads ``first_seen`` from the view (one definition).
RUN_START_SQL = """
    (select coalesce(max(gap.seq) + 1, -1) from versions gap
     where gap.document_id = r.document_id and gap.seq < rv.seq
       and not exists (select 1 from rule_values o where o.version_id = gap.id and o.section_key = r.section_key
                       and o.kind = r.kind and o.subject = r.subject and o.value = r.value and o.unit = r.unit))
"""


@migrations(name="m0770_rule_state")
def m0770_rule_state(db):
    db["rule_value_versions"].add_column("glossary", str)
    db["rule_value_versions"].add_column("extractor", str)
    db["rule_value_changes"].add_column("ordinal", int)
    for rowid, id_ in db.execute("select rowid, id from rule_value_changes").fetchall():
        tail = id_.rsplit("/", 1)[-1]
        db.execute("update rule_value_changes set ordinal = ? where rowid = ?",
                   [int(tail) if tail.isdigit() else 0, rowid])
    db.execute("drop view if exists rule_value_spans")
    db.create_view(
        "rule_value_spans",
        f"""
        select r.platform_id, r.document_id, r.section_key, r.kind, r.subject, r.concept_id, r.value, r.unit,
               r.comparator, r.time_window,
               min(case when rv.seq >= cur.run_start then r.observed_at end) as first_seen,
               max((select max(c.checked_at) from checks c where c.version_id = r.version_id)) as last_seen,
               min(r.version_id) as first_version_id, max(r.version_id) as last_version_id,
               count(distinct r.version_id) as versions,
               max(r.version_id = d.current_version_id) as current
        from rule_values r join documents d on d.id = r.document_id join versions rv on rv.id = r.version_id
        join (select r.document_id, r.section_key, r.kind, r.subject, r.value, r.unit, max({RUN_START_SQL}) as run_start
              from rule_values r join versions rv on rv.id = r.version_id
              group by r.document_id, r.section_key, r.kind, r.subject, r.value, r.unit) cur
          on cur.document_id = r.document_id and cur.section_key = r.section_key and cur.kind = r.kind
         and cur.subject = r.subject and cur.value = r.value and cur.unit = r.unit
        group by r.document_id, r.section_key, r.kind, r.subject, r.concept_id, r.value, r.unit, r.comparator,
                 r.time_window
        """,
    )
