"""Impact by concept, a derived build step: ``change_concepts`` for the changes not computed yet.

A change's concepts (:mod:`glossary.impact`) depend on the change's sections, which never change, and on the
glossary. So a build computes them only for substantive changes without a ``change_concepts_state`` row, and
for every change again when the glossary changed (its hash in ``glossary_state`` differs from the one a row
was computed with): a few hundred changes, one pass over their touched sections.
"""

from __future__ import annotations

from glossary.impact import change_concept_rows
from kb.glossary import glossary_hash
from kb.store.impact import store_change_concepts


def refresh_change_concepts(db, force: bool = False) -> int:
    """Compute the concepts of the substantive changes not seen yet (all with ``force`` or a new glossary);
    returns how many changes were computed. Nothing happens while no glossary is loaded."""
    glossary = glossary_hash(db)
    if glossary is None:
        return 0
    where = "" if force else " and coalesce(s.glossary, '') != ?"
    todo = [r[0] for r in db.execute(
        f"""select c.id from changes c left join change_concepts_state s on s.change_id = c.id
            where c.kind = 'substantive'{where}""", [] if force else [glossary]).fetchall()]
    if todo:
        store_change_concepts(db, todo, change_concept_rows(db.conn, todo), glossary)
    return len(todo)
