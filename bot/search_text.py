"""Words as the search finds them: without accents or case, reduced to their stems in English and French.

The same function turns an idea's text into what the index stores and a query into what it looks
for, so "Renouvellements" finds "renouvellement", "renewals" finds "renewal" and "numerique" finds
"numérique". Each word is stemmed by both Snowball stemmers (an idea may be written in either
language); the index keeps both stems, and a query word matches either. The highlighter uses the
same stems to mark, in the original text, the words a query found.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)  # l'idée -> idée
_ENGLISH = snowballstemmer.stemmer("english")
_FRENCH = snowballstemmer.stemmer("french")
MAX_QUERY_WORDS = 12


def fold(word: str) -> str:
    """Lower case, no accents: 'Numérique' -> 'numerique'."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stems(word: str) -> tuple[str, ...]:
    """The word's stems (English and French, folded; one when they agree). Stemmed before folding:
    the French stemmer reads accents ('numérique' -> 'numer')."""
    word = _ELISION.sub("", word.casefold())
    found = {fold(_ENGLISH.stemWord(word)), fold(_FRENCH.stemWord(word))}
    return tuple(sorted(s for s in found if s))


def words(text: str) -> list[str]:
    return _WORD.findall(text or "")


def index_text(text: str) -> str:
    """What the full-text index stores for `text`: every stem of every word, space-separated."""
    return " ".join(" ".join(stems(w)) for w in words(text))


def query_terms(query: str) -> list[tuple[str, ...]]:
    """A query as groups of stems: every group must match (AND), any stem of a group will do (OR)."""
    groups: list[tuple[str, ...]] = []
    for word in words(query)[:MAX_QUERY_WORDS]:
        group = stems(word)
        if group and group not in groups:
            groups.append(group)
    return groups


def fts_match(groups: list[tuple[str, ...]]) -> str:
    """An FTS5 MATCH expression for the groups. Stems are letters and digits only, quoted anyway."""
    return " AND ".join("(" + " OR ".join(f'"{s}"' for s in group) + ")" for group in groups)


def matched_spans(text: str, groups: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where, in `text`, the words a query found are (start, end), for highlighting."""
    wanted = {s for group in groups for s in group}
    if not wanted:
        return []
    return [m.span() for m in _WORD.finditer(text or "") if wanted.intersection(stems(m.group()))]
