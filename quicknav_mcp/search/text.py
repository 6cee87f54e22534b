"""Tokenising and normalising text the way the FTS5 ``unicode61 remove_diacritics 2`` tokenizer does,
so query words, vocabulary and highlights agree with the index.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=4096)
def fold_token(token: str) -> str:
    """Lower case without diacritics (``Café`` -> ``cafe``)."""
    lowered = token.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_ASCII_WORDS = bytes(c | 0x20 if chr(c).isalpha() else c if chr(c).isdigit() else 0x20 for c in range(128)) + b" " * 128
"""An ASCII byte in lower case when it is a letter or a digit, else a space."""


def tokens(text: str) -> list[str]:
    """Folded alphanumeric tokens of ``text`` (punctuation, ``_`` and ``+`` separate words)."""
    if text.isascii():  # folding is lower case; the runs of ASCII letters and digits, by bytes (~3x the regex)
        return text.encode().translate(_ASCII_WORDS).decode().split()
    return [fold_token(t) for t in _TOKEN.findall(text)]


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, folded token)`` for every token of ``text``."""
    if text.isascii():  # the tokens of :func:`tokens`, each found after the last (~2x the regex's matches)
        words = text.encode().translate(_ASCII_WORDS).decode()
        find = words.find
        out: list[tuple[int, int, str]] = []
        end = 0
        for token in words.split():
            start = find(token, end)  # (only spaces lie between: the next run is this token)
            end = start + len(token)
            out.append((start, end, token))
        return out
    return [(m.start(), m.end(), fold_token(m.group(0))) for m in _TOKEN.finditer(text)]


def fts_quote(token: str) -> str:
    """One token as an FTS5 string literal: user text never reaches MATCH unquoted."""
    return '"' + token.replace('"', '""') + '"'


_STOP_TEXT = """a an the and or of for in on at to by with from into about is are was were be been
    me my i we our us you your it its this that these those there here
    show find get give open need want please where what which who whose how when
    can could would should do does did any all some latest newest current recent most
    file files doc docs document documents folder folders copy version"""
STOPWORDS = frozenset(_STOP_TEXT.split())
"""Words that carry no search meaning on their own (``latest``/``current`` become a boost)."""

CURRENT_WORDS = frozenset({"latest", "newest", "current", "recent", "most", "final", "last"})
"""Recency: the request wants the current issue (``last`` only counts before a kind, see query.py)."""

_FILLER_TEXT = """job jobs pull grab send fetch bring locate look looking search check see tell let know
    have has had got get just also like one ones something stuff thing things again quickly asap urgent
    hey hi hello thanks thank cheers mate pls plz kindly im ive id whats wheres thats lets s t ll ve re d m
    up out over they them their he she his her did done was were us"""
FILLER = frozenset(_FILLER_TEXT.split()) - STOPWORDS
"""Words of a conversational request that say nothing about what or where ("can you pull up the
… on the … job", "what's"): dropped like stop words and reported as filler."""
ARCHIVE_WORDS = frozenset({"archive", "archived", "old", "superseded", "previous", "obsolete"})
