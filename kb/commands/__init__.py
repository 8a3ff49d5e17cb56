"""Command modules of the ``policykb`` CLI, one per feature (see ``kb.cli``)."""
