"""Diff two versions with diff-match-patch.

Uses the C++ implementation (``fast_diff_match_patch``) where it is installed,
the pure-Python ``diff_match_patch`` otherwise; both run the same algorithm
with semantic cleanup and no time limit (``Diff_Timeout = 0``), so a diff
never depends on how fast the machine is. The stored form is diff-match-patch
patch text (``patch_toText``), which either implementation can apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from diff_match_patch import diff_match_patch

try:
    import fast_diff_match_patch as _fast
except ImportError:  # pragma: no cover - the pure implementation serves
    _fast = None

IMPLEMENTATION = "fast_diff_match_patch (C++)" if _fast else "diff_match_patch (pure Python)"
_OPS = {"=": 0, "-": -1, "+": 1}


def _dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    return dmp


@dataclass
class Diff:
    """A diff: ``ops`` are ``(op, text)`` with op -1 delete, 0 equal, 1 insert."""

    ops: list
    patch: str
    chars_added: int
    chars_removed: int


def diff_ops(old: str, new: str, use_fast: bool | None = None) -> list[tuple[int, str]]:
    """Word/phrase-level edit script from ``old`` to ``new`` (semantic cleanup)."""
    if (use_fast is None and _fast) or use_fast:
        return [(_OPS[op], text) for op, text in _fast.diff(old, new, timelimit=0, cleanup="Semantic", counts_only=False)]
    dmp = _dmp()
    ops = dmp.diff_main(old, new, False)
    dmp.diff_cleanupSemantic(ops)
    return ops


def diff(old: str, new: str, use_fast: bool | None = None) -> Diff:
    """Diff two texts; the patch text applies to ``old`` to give ``new``."""
    ops = diff_ops(old, new, use_fast)
    dmp = _dmp()
    patch = dmp.patch_toText(dmp.patch_make(old, ops))
    added = sum(len(t) for op, t in ops if op == 1)
    removed = sum(len(t) for op, t in ops if op == -1)
    return Diff(ops=ops, patch=patch, chars_added=added, chars_removed=removed)


def apply_patch(old: str, patch: str) -> str:
    """Apply stored patch text to ``old``; raises ValueError if it does not apply cleanly."""
    dmp = _dmp()
    new, results = dmp.patch_apply(dmp.patch_fromText(patch), old)
    if not all(results):
        raise ValueError("patch does not apply cleanly")
    return new
