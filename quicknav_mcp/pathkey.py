"""The key that makes a document's path unique within its project without indexing the path.

``documents`` holds each file's path relative to its project folder; a unique index on that text
cost ~14 MB per 100k documents, one on a 64-bit hash of it ~2.6 MB. Two different paths of one
project share a key with probability ~n²/2^65 (n files in the project: ~10^-13 for 1,000 files).
The store registers :func:`path_key` as the SQL function ``path_key`` so migrations can fill it.
"""

from __future__ import annotations

from hashlib import blake2b


def path_key(project_rel_path: str) -> int:
    """A signed 64-bit key of a project-relative path (stable across processes and versions)."""
    digest = blake2b(project_rel_path.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
