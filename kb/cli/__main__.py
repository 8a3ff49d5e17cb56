"""``python -m kb.cli``: the ``policykb`` command."""

from kb.cli import main

main()
