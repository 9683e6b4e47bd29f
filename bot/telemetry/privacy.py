"""What telemetry may carry: ids and words from the app's own vocabulary, never what people typed.

Attributes are built only from these helpers, so a span or metric cannot hold a name, a comment,
a pitch or a token: a value that is not id-shaped (or not one of the app's verbs) is replaced.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_WORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9_./-]{0,63}$")
OTHER = "other"


def guid_or_empty(value: object) -> str:
    """An idea's id (a GUID), or "" for anything else."""
    text = str(value or "")
    return text if _GUID.match(text) else ""


def known(value: object, vocabulary: Collection[str]) -> str:
    """`value` if it is one of the app's own words (verbs, kinds, outcomes), else "other"."""
    text = str(value or "")
    return text if text in vocabulary else OTHER


def word(value: object) -> str:
    """A short identifier-like word (an activity type, an invoke name), else "other"."""
    text = str(value or "")
    return text if _WORD.match(text) else OTHER
