"""Writes of the watch list of citations (``citations``, :mod:`kb.cite.watchlist` reads and decides).

Each function is one transaction (or joins the caller's).
"""

from __future__ import annotations

#: the columns of a citation's latest check (:func:`save_state`)
STATE_COLUMNS = ("state", "state_since", "checked_at", "checked_version_id", "checked_document_state",
                 "now_version_id", "now_section_key", "now_section", "now_effective_date",
                 "now_wording", "changed_at", "answer_json")


def add_citation(db, row: dict) -> int:
    """Save a citation (``row``: the columns of ``citations`` but ``id``); returns its id."""
    with db.atomic():
        return db["citations"].insert(row).last_pk


def remove_citation(db, citation_id: int) -> bool:
    """Delete a citation; False when there was none with this id."""
    with db.atomic():
        return db.execute("delete from citations where id = ?", [citation_id]).rowcount > 0


def save_states(db, states: dict[int, dict]):
    """The latest check of each citation (``{id: {column: value}}``, columns of :data:`STATE_COLUMNS`)."""
    with db.atomic():
        for citation_id, state in states.items():
            cols = [c for c in STATE_COLUMNS if c in state]
            db.execute(f"update citations set {', '.join(f'[{c}] = ?' for c in cols)} where id = ?",
                       [*(state[c] for c in cols), citation_id])
