"""A reason a document ranks where it does, as text for people and as a value for the learned ranker.

Intent (:mod:`.intent`) explains each effect it has on a candidate in words (``where: poolwerx
training``, ``named: room layout``, ``level 3``, ``latest CO4``, ``template``). The learned
ranker's features (:mod:`.features`) need the same facts as numbers: a :class:`Reason` is the
text, and carries the feature column it sets and its value, so rewording a reason can never
silently zero a feature.
"""

from __future__ import annotations

from functools import lru_cache


class Reason(str):
    """A ``why`` entry (a plain string everywhere else) that also sets ranking feature ``feature`` to ``value``."""

    feature: str
    value: float

    def __new__(cls, text: str, feature: str, value: float = 1.0) -> Reason:
        reason = super().__new__(cls, text)
        reason.feature = feature
        reason.value = float(value)
        return reason

    def __reduce__(self) -> tuple[type, tuple[str, str, float]]:  # copies keep the value
        return (Reason, (str(self), self.feature, self.value))


@lru_cache(maxsize=4_096)
def reason(text: str, feature: str, value: float = 1.0) -> Reason:
    """A shared :class:`Reason` (the same few recur for every candidate of a search: ``named: swms``)."""
    return Reason(text, feature, value)
