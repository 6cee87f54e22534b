"""Identical copies of one file rank together, and the domain's rule picks which comes first.

A project often files the same document in several folders (a rollout schedule copied into every
room's folder, a design copied into the handover pack). Every retrieval list scores the copies
alike and orders the tie by row id, so fusion hands the copies different scores by accident: the
copy the domain's rule calls current (search/current.py, domain/current.py) can land behind its own
copies, each marked superseded, and behind other documents that match fewer of the request's words.
Here the copies among the best fused candidates (same project, same file name, same size: different
files that share a name, such as every room's ``Notes.pdf``, stay apart) all take the best
fused score of their group before re-ranking, so the current copy's boost decides among them and
the group competes with other documents by its best list positions.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence

TOP = 60
"""Only the best fused candidates are grouped (bounded work per request)."""


def copy_key(project_id: int, name: str) -> tuple[int, str]:
    """What copies share besides their size: the project and the file name in any case."""
    return project_id, name.lower()


def share_among_copies(
    fused: dict[int, float],
    keys_of: Callable[[Sequence[int]], Mapping[int, Hashable] | None],
    top: int = TOP,
) -> int:
    """Give every copy among the ``top`` best of ``fused`` (document id -> fused score) its group's
    best score, in place; ``keys_of`` reads the candidates' copy keys, equal exactly when
    :func:`copy_key` and the size in bytes are (ids it leaves out have no copy; None: not now).
    How many scores changed."""
    if len(fused) < 2:
        return 0
    best = _largest(fused, top)
    keys = keys_of(best)
    if not keys:
        return 0
    groups: dict[Hashable, list[int]] = {}
    for i in best:
        key = keys.get(i)
        if key is not None:
            groups.setdefault(key, []).append(i)
    changed = 0
    for ids in groups.values():
        if len(ids) < 2:
            continue
        score = max(fused[i] for i in ids)
        for i in ids:
            if fused[i] != score:
                fused[i] = score
                changed += 1
    return changed


def _largest(scores: dict[int, float], n: int) -> list[int]:
    """The ``n`` ids of the highest scores, highest first (ties in the dict's order), as
    ``heapq.nlargest(n, scores, key=scores.__getitem__)`` gives them, with one numpy sort."""
    import numpy as np

    ids = np.fromiter(scores, np.int64, len(scores))
    values = np.fromiter(scores.values(), np.float64, len(scores))
    return ids[np.argsort(-values, kind="stable")[:n]].tolist()
