"""Worker processes for a build's pure work, one writer storing: the one pool the build's steps share.

A build has one writer (this process: only it opens transactions on the KB). What a step computes per item
from values alone (a page's extraction and its new version's dates, sections, hash and change from the current text
in :mod:`kb.ingest`, a version's rule values in :mod:`kb.rules`, a platform's glossary evidence in :mod:`kb.glossary`,
a change's concepts in :mod:`kb.impact`) can run in
worker processes on every core while the writer reads ahead and stores. Workers get their input as arguments
and give back values: they never open the KB.

:func:`count` says how many workers a step uses (``POLICYKB_BUILD_WORKERS``, else one per core when there is
enough work); :class:`Workers` forks them once the parent has loaded what they all need (so each inherits it
instead of loading its own) and :meth:`Workers.map` gives the results in the order of the jobs, computed a
window ahead. With no workers the same jobs run in this process, in the same order: the KB is the same either way.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator

#: Jobs handed to the workers ahead of the result being used (the writer reads ahead as far).
WINDOW = 64


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def count(amount: int, minimum: int) -> int:
    """How many worker processes a step uses: ``POLICYKB_BUILD_WORKERS`` if set (0: none, the work runs in this
    process), else one per core when there is more than one and ``amount`` of work reaches ``minimum`` (starting
    workers and sending them their input costs more than it saves on a small step)."""
    configured = os.environ.get("POLICYKB_BUILD_WORKERS", "").strip()
    if configured.isdigit():
        return int(configured)
    n = cores()
    return n if n > 1 and amount >= minimum else 0


class Workers:
    """A pool of ``n`` forked worker processes (none when ``n`` is 0), as a context manager.

    :param n: worker processes (:func:`count`)
    :param initializer: called with ``initargs`` in each worker as it starts (forked: the arguments are inherited,
        not pickled), or in this process when there are no workers: the state every job of the step reads
    :param warm_up: called in this process before the workers fork, for what they would each load on first use
    """

    def __init__(self, n: int, initializer: Callable | None = None, initargs: tuple = (),
                 warm_up: Callable | None = None):
        self.n, self._initializer, self._initargs, self._warm_up = n, initializer, initargs, warm_up
        self._pool = None

    def __enter__(self) -> Workers:
        if not self.n:
            if self._initializer is not None:
                self._initializer(*self._initargs)
            return self
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if self._warm_up is not None:
            self._warm_up()
        # what exists now is shared with the workers until written: kept out of the garbage collector's passes
        # (which would touch, and so copy, every page of it in each worker) until the pool is done
        gc.freeze()
        # forked at the first job (Python starts a "fork" pool's processes then, all at once)
        self._pool = ProcessPoolExecutor(max_workers=self.n, mp_context=multiprocessing.get_context("fork"),
                                         initializer=self._initializer, initargs=self._initargs)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
            gc.unfreeze()

    def map(self, fn: Callable, jobs: Iterable[tuple], window: int = WINDOW) -> Iterator[tuple]:
        """``(key, fn(*args))`` for each ``(key, args)`` of ``jobs``, in their order; ``(key, None)`` when ``args``
        is None (nothing to compute for that key). ``jobs`` is read lazily, ``window`` jobs ahead of the result
        given (so what the caller stores before asking for the next result is seen by the jobs read after it)."""
        if self._pool is None:
            for key, args in jobs:
                yield key, (None if args is None else fn(*args))
            return
        ahead: deque = deque()
        for key, args in jobs:
            ahead.append((key, None if args is None else self._pool.submit(fn, *args)))
            if len(ahead) >= window:
                key0, future = ahead.popleft()
                yield key0, (None if future is None else future.result())
        while ahead:
            key0, future = ahead.popleft()
            yield key0, (None if future is None else future.result())
