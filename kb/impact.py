"""Impact by concept, a derived build step: ``change_concepts`` for the changes not computed yet.

A change's concepts (:mod:`glossary.impact`) depend on the change's sections, which never change, and on the
glossary. So a build computes them only for substantive changes without a ``change_concepts_state`` row, and
for every change again when the glossary changed (its hash in ``glossary_state`` differs from the one a row
was computed with): a few hundred changes, one pass over their touched sections, in worker processes when there
are enough of them (:class:`kb.workers.Workers`; this process reads their texts and stores the rows in order).
"""

from __future__ import annotations

from glossary.impact import change_concept_jobs, change_rows, set_terms
from kb.glossary import glossary_hash
from kb.store.impact import store_change_concepts
from kb.workers import Workers, count

#: Below this many changes to read, their concepts are computed in the build's process (:func:`kb.workers.count`).
PARALLEL_MIN_CHANGES = 32


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
        by_scope, jobs = change_concept_jobs(db.conn, todo)
        with Workers(count(len(todo), PARALLEL_MIN_CHANGES), initializer=set_terms, initargs=(by_scope,)) as pool:
            rows = [row for _, found in pool.map(change_rows, jobs) for row in found]
        store_change_concepts(db, todo, rows, glossary)
    return len(todo)
