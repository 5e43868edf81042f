"""Wrong choices for a multiple-choice question: of the same kind as the answer, from the same material."""

# A distractor is only useful if a student who half-knows the answer might pick it: another nut type for a nut
# type, another year for a year, another person for a person. So candidates come from the material itself (names,
# terms, figures found in its prose, never a label or heading fragment), of the answer's kind, ranked by how close
# their meaning is to the answer's with the embedding model; one too close may also be right and is left out.

from __future__ import annotations

import random
import re

import numpy as np

from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.study.items import study_text as st

TOO_SIMILAR = 0.86  # cosine above which a candidate may mean the same as the answer
TOO_FAR = 0.12  # cosine below which a candidate is obviously unrelated
MUTUAL = 0.9  # two distractors this close are one distractor twice


class Pool:
    """Candidate answers found in a body of material, by kind, with their embeddings computed on demand."""

    def __init__(self, sentences: list[str], terms: list[ex.Term], defined: list[str], embedder=None):
        self.embedder = embedder
        self.by_kind: dict[str, list[str]] = {}
        self._vectors: dict[str, np.ndarray] = {}
        for s in sentences:
            for phrase, kind in st.numbers_with_units(s):
                self._add(kind, phrase)
            for name in st.names_in(s):
                if name.lower() not in _CALENDAR and not name.lower().endswith("ly"):
                    self._add("name", name)
            cause = st.cause_of(s)
            if cause:
                self._add("phrase", cause.text)
        for t in list(defined) + [t.text for t in terms]:
            self._add(st.answer_kind(t), t)

    def _add(self, kind: str, text: str) -> None:
        text = text.strip(" ,;:.")
        if text and text not in self.by_kind.setdefault(kind, []):
            self.by_kind[kind].append(text)

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Normalized embeddings of texts (cached)."""
        missing = [t for t in texts if t not in self._vectors]
        if missing and self.embedder is not None:
            for t, v in zip(missing, self.embedder.embed(missing)):
                self._vectors[t] = np.asarray(v, dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def pick(self, answer: str, quote: str, k: int = 3) -> list[str]:
        """Up to k wrong choices for answer (not in its quote, not overlapping it, of its kind)."""
        kind = st.answer_kind(answer)
        if kind in ("year", "number"):
            return _figures(answer, kind, self.by_kind.get(kind, []), quote, k)
        kinds = {"name": ["name"], "term": ["term"], "phrase": ["phrase"]}[kind]
        pool = [c for c in (c for kd in kinds for c in self.by_kind.get(kd, [])) if _fits(c, answer, quote)]
        if kind == "term":  # a one-word answer wants one-word choices, a phrase wants phrases
            size = len(answer.split())
            pool = [c for c in pool if abs(len(c.split()) - size) <= 1] or pool
        if not pool:
            return []
        if self.embedder is None:
            return pool[:k]
        vecs = self.vectors([answer] + pool)
        sims = vecs[1:] @ vecs[0]
        ranked = [(float(s), c, i) for i, (s, c) in enumerate(zip(sims, pool)) if TOO_FAR <= s <= TOO_SIMILAR]
        ranked.sort(key=lambda x: -x[0])
        out, chosen = [], []
        for _, cand, i in ranked:
            v = vecs[1 + i]
            if any(float(v @ c) > MUTUAL for c in chosen):
                continue
            out.append(cand)
            chosen.append(v)
            if len(out) == k:
                break
        return out


def _fits(candidate: str, answer: str, quote: str) -> bool:
    """Not the answer, not part of it or containing it, not in the sentence the question comes from."""
    c, a = ex.normalize(candidate), ex.normalize(answer)
    if not c or c == a or f" {c} " in f" {a} " or f" {a} " in f" {c} ":
        return False
    if set(c.split()) & set(a.split()) - _SMALL:
        return False  # "self-locking nut" for "elastic stop nut" shares a word a student can match on
    return f" {c} " not in f" {ex.normalize(quote)} "


_CALENDAR = frozenset("""january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday""".split())
_SMALL = frozenset("the a an of and or in on to for".split())


def _figures(answer: str, kind: str, found: list[str], quote: str, k: int) -> list[str]:
    """Other years (or figures with the same unit) of the material, else plausible neighbours of the answer."""
    value, unit = _split_number(answer)
    same = [f for f in found if _split_number(f)[1] == unit and _split_number(f)[0] != value
            and f" {ex.normalize(f)} " not in f" {ex.normalize(quote)} "]
    out = list(dict.fromkeys(same))[:k]
    if len(out) < k and value is not None:
        rng = random.Random(answer)
        if kind == "year":
            candidates = [value + d for d in (-50, -20, -10, 10, 20, 50, -5, 5) if 1000 <= value + d <= 2100]
        elif value >= 20 or not float(value).is_integer():
            candidates = [value * f for f in (2, 0.5, 1.5, 0.75, 3)]  # the same order of magnitude, not 10x
        else:
            candidates = [value + d for d in (-2, 1, 3, -1, 2) if value + d > 1]
        rng.shuffle(candidates)
        for v in candidates:
            text = _format(v, value) + (f" {unit}" if unit else "")
            if text not in out and _split_number(text)[0] != value and v > 0:
                out.append(text)
            if len(out) == k:
                break
    return out


def _split_number(text: str) -> tuple[float | None, str]:
    m = re.match(r"\s*(\d+(?:[.,]\d+)?)\s*(.*)$", text)
    if not m:
        return None, text
    try:
        return float(m.group(1).replace(",", "")), m.group(2).strip().lower()
    except ValueError:
        return None, text


def _format(v: float, like: float) -> str:
    """v written with the precision of like (a whole number stays whole)."""
    if float(like).is_integer():
        return str(int(round(v)))
    return f"{v:.{max(1, len(str(like).split('.')[-1]))}f}"
