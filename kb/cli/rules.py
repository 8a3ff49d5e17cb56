"""``policykb rules``: deadlines, thresholds and penalty-point levels of the current policies (:mod:`kb.rules`)."""

from __future__ import annotations

import json
import sqlite3

import click

from kb.cli import cli
from kb.cli.options import data_option, did_you_mean, platform_option
from kb.data import kb_path

#: The keys of one value in ``policykb rules --json``, in order.
JSON_VALUE_KEYS = ("platform", "concept", "subject", "kind", "value", "unit", "comparator", "window", "action",
                   "phrase", "evidence", "document", "section", "version", "first_seen", "last_seen", "url")


def _json_value(row: dict) -> dict:
    renamed = {"platform": row["platform_id"], "concept": row["concept_id"], "window": row["time_window"],
               "document": row["document_id"], "section": row["section_key"], "version": row["version_id"],
               "evidence": row["evidence"]}
    return {key: renamed.get(key, row.get(key)) for key in JSON_VALUE_KEYS}


#: what the text listing says for a value about nothing determined (English then Chinese)
NO_SUBJECT = "subject not determined 未判定"


@cli.command("rules")
@data_option
@click.option("--concept", default=None, metavar="C",
              help="Only values of this glossary concept (e.g. appeal, late-shipment-rate) or subject (response).")
@platform_option
@click.option("--json", "as_json", is_flag=True, help='Print {"values": [...], "changes": [...]} as JSON.')
def rules_command(data_dir, concept, platform, as_json):
    """Deadlines, metric thresholds and penalty-point levels the current policies state, with evidence.

    Each value names its platform, concept (the glossary's, where one fits), the
    sentence it stands in, its section and version, and when it was first and last
    seen; then the values that changed between versions (4 % → 3 %).

    Example: policykb rules --concept appeal --json
    """
    from kb import rules
    from kb.db import open_db

    open_db(data_dir).close()  # apply pending migrations (the rule values come with one)
    conn = sqlite3.connect(f"file:{kb_path(data_dir)}?mode=ro", uri=True)
    try:
        if concept is not None:
            known = [t["topic"] for t in rules.topics(conn)]
            if concept not in known:
                did_you_mean("--concept", concept, "a concept or subject with rule values", known)
        values = rules.current_values(conn, concept, platform)
        changes = rules.value_changes(conn, concept, platform)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps({"values": [_json_value(v) for v in values],
                               "changes": [_json_change(c) for c in changes]}, ensure_ascii=False))
        return
    for v in values:
        # a value whose sentence names no step (or too weakly: pipeline.rules abstains) says so, never a guess
        topic = v["concept_id"] or v["subject"] or NO_SUBJECT
        window = f" ({v['time_window']})" if v["time_window"] else ""
        action = f" → {v['action']}" if v["action"] else ""
        click.echo(f"{topic} · {v['platform_id']} · {v['comparator']} {v['value']:g} {v['unit']}{window}{action}"
                   f" · {v['document_id']} §{v['section_key']} · since {(v['first_seen'] or '')[:10]}")
        click.echo(f"    {v['evidence']}")
    for c in changes:
        click.echo(f"changed 已变更 {c['detected_at'][:10]} · {c['platform_id']} · {c['concept_id'] or c['subject']}: "
                   f"{c['old_value']:g} {c['old_unit']} → {c['new_value']:g} {c['new_unit']} · "
                   f"{c['document_id']} §{c['section_key']}")
    click.echo(f"{len(values)} value(s), {len(changes)} change(s)")


def _json_change(row: dict) -> dict:
    keys = ("platform_id", "document_id", "section_key", "kind", "subject", "concept_id", "old_value", "new_value",
            "old_unit", "new_unit", "old_window", "new_window", "old_evidence", "new_evidence", "change_id",
            "from_version_id", "to_version_id", "detected_at", "url")
    return {k: row.get(k) for k in keys}
