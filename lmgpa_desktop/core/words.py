"""Words of a text: stopwords and content words."""

from __future__ import annotations

import re

STOPWORDS = frozenset("""
a an the of in on at to for by with from and or but is are was were be been being am do does did done what when
where who whom whose which why how this that these those it its as about into than then there their they them he
she his her i you your me my we our us can could would should will shall may might must not no yes so if also any
some such very just only tell explain describe give say said more most please know think mean means meant
""".split())
_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers of a text, in order."""
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    """A crude stem so "printed", "printing" and "prints" meet."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning (no stopwords)."""
    return {stem(w) for w in tokens(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())}
