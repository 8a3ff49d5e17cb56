"""A least-recently-used cache bounded by the summed weight of what it holds, for the cite check's per-process caches.

The cite check keeps work between quotes (a web server or ``citations check`` answers many in one process, and
they keep coming back to the same documents): the key forms of versions (:mod:`kb.cite.versions`), the keyed
paragraphs of long texts (:mod:`kb.cite.keytext`) and the lower-cased texts of section wordings
(:mod:`kb.cite.candidates`). Each is bounded by a weight (about the characters held) rather than a count, since
one long page outweighs a thousand short ones. Datasette answers in a pool of threads: every read and write of
the cache takes its lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class WeightedCache:
    """Entries kept newest-used last; past ``budget`` (the sum of ``weight(value)``), the least recently used go,
    all but the newest.

    :param budget: the weight held at most (:attr:`budget`, read at each eviction)
    :param weight: an entry's weight, read when it is stored and when it is evicted (see :meth:`reweigh`)
    """

    def __init__(self, budget: int, weight: Callable[[object], int]):
        self.budget = budget
        self._weight = weight
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> list:
        with self.lock:
            return list(self._items.values())

    def clear(self) -> None:
        with self.lock:
            self._items.clear()
            self.size = 0

    def get(self, key):
        """The value kept under ``key`` (now the most recently used), or None."""
        with self.lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def get_many(self, keys: list) -> list:
        """:meth:`get` of each key (None where nothing is kept), under one taking of the lock."""
        with self.lock:
            items, out = self._items, []
            for key in keys:
                hit = items.get(key)
                if hit is not None:
                    items.move_to_end(key)
                out.append(hit)
            return out

    def put(self, key, value):
        """Keep ``value`` under ``key`` unless a value is kept there already (two threads may make the same one:
        one copy stays); returns the value kept."""
        with self.lock:
            kept = self._items.get(key)
            if kept is not None:
                self._items.move_to_end(key)
                return kept
            self._items[key] = value
            self.size += self._weight(value)
            while self.size > self.budget and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self.size -= self._weight(old)
            return value

    def reweigh(self, key, value, change: Callable[[], None]) -> None:
        """Run ``change()`` (which makes ``value`` heavier or lighter) under the lock, and count the difference
        if ``value`` is still the one kept under ``key`` (an evicted value's change counts for nothing)."""
        with self.lock:
            before = self._weight(value)
            change()
            if self._items.get(key) is value:
                self.size += self._weight(value) - before
