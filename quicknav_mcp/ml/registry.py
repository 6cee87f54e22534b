"""The model registry: versioned models in the store, never pickled.

A model is a row of ``ml_models``: JSON parameters and metrics plus one npz blob of numpy arrays,
loaded with ``allow_pickle=False`` so a stored model can never run code. A checksum over the
parameters and the blob catches a damaged row; :meth:`ModelRegistry.load` then falls back to the
previously served version and says so in :attr:`ModelArtifact.warnings`.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, NotFound

if TYPE_CHECKING:
    import numpy as np

    from ..store import Store

log = logging.getLogger(__name__)

STATUSES = ("candidate", "active", "retired")
MAX_NAME = 64


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ModelArtifact:
    """One loaded model version."""

    name: str
    version: int
    status: str
    params: dict[str, Any]
    arrays: dict[str, np.ndarray]
    metrics: dict[str, Any]
    created_at: str
    trained_on: tuple[str, str] | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelInfo:
    """A registry row without its arrays (for listings)."""

    name: str
    version: int
    status: str
    created_at: str
    metrics: dict[str, Any]
    trained_on: tuple[str, str] | None
    promoted_at: str | None
    size_bytes: int
    params: dict[str, Any] = field(default_factory=dict)


class CorruptArtifact(Exception):
    """A stored model that cannot be read back; internal to the registry's fallback."""


def _json_default(value: Any) -> Any:
    # numpy scalars and tuples sneak into params/metrics; store them as plain JSON.
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _clean(value: Any) -> Any:
    """NaN/inf are not JSON: store them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def dumps(value: dict[str, Any]) -> str:
    return json.dumps(_clean(value), default=_json_default, sort_keys=True, separators=(",", ":"))


def pack_arrays(arrays: dict[str, Any]) -> bytes:
    """Arrays → npz bytes. Object arrays are refused: they would need pickle to load."""
    import numpy as np

    clean: dict[str, np.ndarray] = {}
    for key, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype == object:
            raise InvalidInput(f"array {key!r} has dtype object; store strings in params or as a str array")
        clean[key] = arr
    buf = io.BytesIO()
    np.savez_compressed(buf, **clean)
    return buf.getvalue()


def unpack_arrays(blob: bytes | None) -> dict[str, np.ndarray]:
    """npz bytes → arrays, never unpickling anything."""
    import numpy as np

    if not blob:
        return {}
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except Exception as exc:  # zip, header or pickle refusals all mean the same: unreadable
        raise CorruptArtifact(f"arrays unreadable ({type(exc).__name__})") from exc


def _checksum(params: str, metrics: str, blob: bytes | None) -> str:
    h = hashlib.sha256()
    h.update(params.encode())
    h.update(b"\0")
    h.update(metrics.encode())
    h.update(b"\0")
    h.update(blob or b"")
    return h.hexdigest()


def check_name(name: object, field_name: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"{field_name} must be a model name such as 'recommender'")
    name = name.strip()
    if len(name) > MAX_NAME or not all(ch.isalnum() or ch in "_-." for ch in name):
        raise InvalidInput(f"{field_name} {name[:80]!r} is not a model name (letters, digits, _ - . up to 64)")
    return name


class ModelRegistry:
    """Versioned models for one store. Thread-safe through the store's own lock."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- writing ---------------------------------------------------------------------------
    def save(
        self,
        name: str,
        *,
        params: dict[str, Any],
        arrays: dict[str, Any] | None = None,
        metrics: dict[str, Any],
        trained_on: tuple[str, str] | None = None,
        status: str = "candidate",
    ) -> int:
        """Store a new version and return its number. ``status="active"`` also promotes it."""
        name = check_name(name)
        if status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        params_json = dumps(params)
        metrics_json = dumps(metrics)
        blob = pack_arrays(arrays) if arrays else None
        checksum = _checksum(params_json, metrics_json, blob)
        now = now_iso()
        with self.store.transaction() as c:
            row = c.execute("SELECT COALESCE(MAX(version), 0) FROM ml_models WHERE name = ?", (name,)).fetchone()
            version = int(row[0]) + 1
            if status == "active":
                c.execute("UPDATE ml_models SET status = 'retired' WHERE name = ? AND status = 'active'", (name,))
            c.execute(
                "INSERT INTO ml_models(name, version, created_at, status, params, metrics, artifact, checksum,"
                " trained_from, trained_to, promoted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    name,
                    version,
                    now,
                    status,
                    params_json,
                    metrics_json,
                    blob,
                    checksum,
                    trained_on[0] if trained_on else None,
                    trained_on[1] if trained_on else None,
                    now if status == "active" else None,
                ),
            )
        log.info("model %s version %d saved as %s", name, version, status)
        return version

    def promote(self, name: str, version: int) -> None:
        """Make ``version`` the active one; the previously active version is retired."""
        name = check_name(name)
        self._require(name, version)
        with self.store.transaction() as c:
            c.execute("UPDATE ml_models SET status = 'retired' WHERE name = ? AND status = 'active'", (name,))
            c.execute(
                "UPDATE ml_models SET status = 'active', promoted_at = ? WHERE name = ? AND version = ?",
                (now_iso(), name, version),
            )
        log.info("model %s version %d promoted", name, version)

    def rollback(self, name: str) -> int:
        """Retire the active version and re-activate the one that was active before it."""
        name = check_name(name)
        active = self.active_version(name)
        if active is None:
            self._require_model(name)
            raise InvalidInput(f"model {name!r} has no active version to roll back from")
        row = self.store.query_one(
            "SELECT version FROM ml_models WHERE name = ? AND status = 'retired' AND promoted_at IS NOT NULL"
            " AND version != ? ORDER BY promoted_at DESC, version DESC LIMIT 1",
            (name, active),
        )
        if row is None:
            raise InvalidInput(f"model {name!r} has no earlier active version to roll back to (active: {active})")
        previous = int(row[0])
        with self.store.transaction() as c:
            c.execute("UPDATE ml_models SET status = 'retired' WHERE name = ? AND version = ?", (name, active))
            # Keep promoted_at: the version it replaces must not be chosen by the next rollback.
            c.execute(
                "UPDATE ml_models SET status = 'active', promoted_at = ? WHERE name = ? AND version = ?",
                (now_iso(), name, previous),
            )
            c.execute("UPDATE ml_models SET promoted_at = NULL WHERE name = ? AND version = ?", (name, active))
        log.info("model %s rolled back from version %d to %d", name, active, previous)
        return previous

    # ---- reading ---------------------------------------------------------------------------
    def active_version(self, name: str) -> int | None:
        row = self.store.query_one("SELECT version FROM ml_models WHERE name = ? AND status = 'active'", (name,))
        return int(row[0]) if row else None

    def versions(self, name: str) -> list[int]:
        rows = self.store.query("SELECT version FROM ml_models WHERE name = ? ORDER BY version", (name,))
        return [int(r[0]) for r in rows]

    def exists(self, name: str, version: int | None = None) -> bool:
        if version is None:
            return self.store.query_one("SELECT 1 FROM ml_models WHERE name = ? LIMIT 1", (name,)) is not None
        row = self.store.query_one("SELECT 1 FROM ml_models WHERE name = ? AND version = ?", (name, version))
        return row is not None

    def load(self, name: str, version: int | None = None) -> ModelArtifact | None:
        """Load ``version`` (default: the active one).

        A corrupt row falls back to the most recent earlier version that was ever served (active
        or retired), with a warning; ``None`` when there is nothing usable at all.
        """
        artifact, _ = self.load_with_warnings(name, version)
        return artifact

    def load_with_warnings(self, name: str, version: int | None = None) -> tuple[ModelArtifact | None, list[str]]:
        """Like :meth:`load`, also returning the warnings when nothing usable was found."""
        warnings: list[str] = []
        if version is None:
            version = self.active_version(name)
            if version is None:
                return None, warnings
        try:
            return self._read(name, version), warnings
        except CorruptArtifact as exc:
            reason = str(exc)
            log.warning("model %s version %d is corrupt: %s", name, version, exc)
        except NotFound:
            return None, [f"{name} version {version} does not exist"]
        rows = self.store.query(
            "SELECT version FROM ml_models WHERE name = ? AND version < ? AND status IN ('active', 'retired')"
            " AND promoted_at IS NOT NULL ORDER BY version DESC",
            (name, version),
        )
        # Versions that were served before (promoted_at set) first, then any other older version.
        tried = {int(r[0]) for r in rows}
        older = [int(r[0]) for r in rows] + [v for v in reversed(self.versions(name)) if v < version and v not in tried]
        for previous in older:
            try:
                art = self._read(name, previous)
            except CorruptArtifact as exc:
                warnings.append(f"{name} version {previous} is corrupt too ({exc})")
                continue
            warnings.insert(0, f"{name} version {version} is corrupt ({reason}); using version {previous}")
            return _with_warnings(art, tuple(warnings)), warnings
        warnings.insert(0, f"{name} version {version} is corrupt ({reason}) and no earlier version is readable")
        return None, warnings

    def _read(self, name: str, version: int) -> ModelArtifact:
        row = self.store.query_one(
            "SELECT name, version, status, params, metrics, artifact, checksum, created_at, trained_from,"
            " trained_to FROM ml_models WHERE name = ? AND version = ?",
            (name, version),
        )
        if row is None:
            raise NotFound(f"model {name!r} has no version {version}")
        blob = bytes(row["artifact"]) if row["artifact"] is not None else None
        if _checksum(row["params"], row["metrics"], blob) != row["checksum"]:
            raise CorruptArtifact("checksum mismatch")
        try:
            params = json.loads(row["params"])
            metrics = json.loads(row["metrics"])
        except ValueError as exc:
            raise CorruptArtifact("parameters are not JSON") from exc
        return ModelArtifact(
            name=row["name"],
            version=int(row["version"]),
            status=row["status"],
            params=params,
            arrays=unpack_arrays(blob),
            metrics=metrics,
            created_at=row["created_at"],
            trained_on=(row["trained_from"], row["trained_to"]) if row["trained_from"] else None,
        )

    def info(self, name: str, version: int | None = None) -> ModelInfo:
        """One version's row (default: active, else the newest); NotFound names what is missing."""
        name = check_name(name)
        self._require_model(name)
        if version is None:
            version = self.active_version(name) or max(self.versions(name))
        self._require(name, version)
        return next(m for m in self._infos("WHERE name = ? AND version = ?", (name, version)))

    def list_models(self) -> list[ModelInfo]:
        return list(self._infos("", ()))

    def _infos(self, where: str, params: tuple[Any, ...]) -> list[ModelInfo]:
        rows = self.store.query(
            "SELECT name, version, status, created_at, params, metrics, trained_from, trained_to, promoted_at,"
            f" LENGTH(artifact) AS size FROM ml_models {where} ORDER BY name, version",
            params,
        )
        out = []
        for r in rows:
            try:
                metrics = json.loads(r["metrics"])
                params_ = json.loads(r["params"])
            except ValueError:
                metrics, params_ = {"error": "unreadable"}, {}
            out.append(
                ModelInfo(
                    name=r["name"],
                    version=int(r["version"]),
                    status=r["status"],
                    created_at=r["created_at"],
                    metrics=metrics,
                    trained_on=(r["trained_from"], r["trained_to"]) if r["trained_from"] else None,
                    promoted_at=r["promoted_at"],
                    size_bytes=int(r["size"] or 0),
                    params=params_,
                )
            )
        return out

    def _require_model(self, name: str) -> None:
        if not self.exists(name):
            known = sorted({m.name for m in self.list_models()})
            hint = f"; known models: {', '.join(known)}" if known else "; no model has been trained yet"
            raise NotFound(f"model {name!r} is not in the registry{hint}")

    def _require(self, name: str, version: object) -> None:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidInput(f"version must be a whole number from 1, got {version!r}")
        self._require_model(name)
        if not self.exists(name, version):
            raise NotFound(f"model {name!r} has no version {version}; versions: {self.versions(name)}")


def _with_warnings(art: ModelArtifact, warnings: tuple[str, ...]) -> ModelArtifact:
    return ModelArtifact(
        name=art.name,
        version=art.version,
        status=art.status,
        params=art.params,
        arrays=art.arrays,
        metrics=art.metrics,
        created_at=art.created_at,
        trained_on=art.trained_on,
        warnings=warnings,
    )
