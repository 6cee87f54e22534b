"""Which project haystacks can hold a text: a trigram index over the project service's search strings.

``ProjectService.search`` looks for the query as a substring of every project's folder and client
names (and, for several words, for each word): ~5 ms a query at 5,000 projects, most of it on
strings that share not even three letters with the query. A string holding ``needle`` holds every
trigram of it, so the strings holding all of a text's trigrams are a superset of those that match;
the search checks only those, with the same tests, and answers the same.
"""

from __future__ import annotations


class Trigrams:
    """Trigram -> indexes of the strings holding it (ascending)."""

    def __init__(self, haystacks: list[str]) -> None:
        grams: dict[str, list[int]] = {}
        for i, hay in enumerate(haystacks):
            for g in {hay[j : j + 3] for j in range(len(hay) - 2)}:
                grams.setdefault(g, []).append(i)
        self._grams = grams
        self.size = len(haystacks)

    def holding(self, text: str) -> set[int] | None:
        """Strings holding every trigram of ``text`` (None: too short to say, any may)."""
        if len(text) < 3:
            return None
        found: set[int] | None = None
        for g in sorted({text[j : j + 3] for j in range(len(text) - 2)}, key=lambda g: len(self._grams.get(g, ()))):
            ids = self._grams.get(g)
            if not ids:
                return set()
            found = set(ids) if found is None else found.intersection(ids)
            if not found:
                return found
        return found

    def candidates(self, needle: str, words: list[str]) -> list[int]:
        """Strings that may hold ``needle``, or (several words) every one of ``words``, ascending."""
        out = self.holding(needle)
        if out is None:
            return list(range(self.size))
        if len(words) > 1:
            every: set[int] | None = None
            for w in words:
                ids = self.holding(w)
                if ids is not None:
                    every = ids if every is None else every & ids
            if every is None:  # every word shorter than three letters
                return list(range(self.size))
            out = out | every
        return sorted(out)
