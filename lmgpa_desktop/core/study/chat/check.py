"""Checking a chat answer sentence by sentence: a sentence is shown only once a passage supports it, cited."""

from __future__ import annotations

import re
from dataclasses import replace

from lmgpa_desktop.core.library import evidence
from lmgpa_desktop.core.study.chat.prompt import MARKER, Plan
from lmgpa_desktop.core.study.chat.retrieval import Passage, sentences_of
from lmgpa_desktop.core.study.chat.conversations import Citation
from lmgpa_desktop.core.words import STOPWORDS, content_words, stem, tokens

SUPPORT_MIN = 0.6  # share of a sentence's content words its passage must contain for the sentence to be shown

REFUSED = ("{where} doesn't say. The passages closest to your question don't answer it, so I won't guess. "
           "Try other words, or add material that covers it.")
QUOTE_INTRO = "Here is what {where} says about it:"
HELD_NOTE = "({n} left out: not found in {where}.)"
# A sentence is complete when the next one has begun (a capital after its end mark and any [n]) or a line ended.
_SENTENCE_DONE = re.compile(r"[.!?][\"'”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*(\s+)(?=[A-Z0-9\"“‘(])")
_LINE_DONE = re.compile(r"\S[^\S\n]*(\s*\n\s*)(?=\S)")
_ENDED = re.compile(r"[.!?][\"'”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*$")
_REFUSAL = re.compile(r"\b(does ?n[o'’]?t|do ?n[o'’]?t|did ?n[o'’]?t|cannot|can[’']t|is ?n[o'’]?t|are ?n[o'’]?t"
                      r"|no)\b.*\b(say|says|said|contain|contains|mention|mentions|mentioned|answer|information|"
                      r"state|states|provide|provides|specify|specifies)\b"
                      r"|\bnot (mentioned|stated|given|specified|provided)\b", re.IGNORECASE)
# The first sentence must carry what the question asks for: Qwen2.5 0.5B sometimes copies a passage that mentions
# the question's words but not its answer ("When was the Gutenberg Bible printed?" -> "It was printed in letters...").
_ASKS_TIME = re.compile(r"^\s*(when|(in )?what year|(in )?which year|how (long|old))\b", re.IGNORECASE)
_ASKS_COUNT = re.compile(r"^\s*how (many|much)\b", re.IGNORECASE)
_ASKS_NAME = re.compile(r"^\s*(who|whom)\b", re.IGNORECASE)
_COUNT_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
hundred thousand million billion dozen""".split())  # not "many" or "several": they do not say how many
_TIME_WORDS = _COUNT_WORDS | frozenset("first second third fourth fifth century centuries decade decades".split())
_REFUSAL_ABOUT = re.compile(r"\b(library|passages?|texts?|context|sources?|documents?|information|reading|sorry)\b"
                            r"|does ?n[o'’]?t say", re.IGNORECASE)


def next_sentence(buffer: str) -> tuple[str, str, str] | None:
    """(sentence, separator, rest) once a sentence is complete: the next one has begun, or a line ended."""
    ends = [m for m in (_SENTENCE_DONE.search(buffer), _LINE_DONE.search(buffer)) if m is not None]
    if not ends:
        return None
    m = min(ends, key=lambda m: m.start(1))
    return buffer[:m.start(1)].strip(), m.group(1), buffer[m.end(1):]


def is_refusal(sentence: str) -> bool:
    """A sentence saying the passages do not hold the answer (not a claim about the subject)."""
    return (not MARKER.search(sentence) and bool(_REFUSAL.search(sentence))
            and bool(_REFUSAL_ABOUT.search(sentence)))


def _names_and_numbers(text: str) -> set[str]:
    """Stems of numbers and of capitalised words after the first: what an invented sentence usually gets wrong."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    out = {w for w in words if w.isdigit()}
    out |= {w.lower() for w in words[1:] if w[0].isupper() and w.lower() not in STOPWORDS and len(w) > 1}
    return {stem(w) for w in out}


def _answers_the_kind(sentence: str, question: str) -> bool:
    """Whether a sentence carries the kind of thing the question asks for (a number for "when", a name for "who")."""
    words = re.findall(r"[A-Za-z0-9]+", sentence)
    if _ASKS_COUNT.match(question):  # "in the 15th century" does not say how many
        return any(w.isdigit() or w.lower() in _COUNT_WORDS for w in words)
    if _ASKS_TIME.match(question):
        return any(any(c.isdigit() for c in w) or w.lower() in _TIME_WORDS for w in words)
    if _ASKS_NAME.match(question):
        asked = set(tokens(question))  # "Who printed the Bible?" is not answered by "the Bible"
        return any(w[0].isupper() and w.lower() not in STOPWORDS | asked for w in words)
    return True


class Checker:
    """Turns the model's stream into sentences the passages support, cited; holds back the rest."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.bags = [content_words(p.hit.text) for p in plan.passages]
        self.known = set().union(*self.bags) if self.bags else set()
        self.buffer = ""
        self.sep = " "  # what goes before the next sentence shown
        self.order: list[int] = []  # passage indices in order of first citation: [1] is order[0]
        self.shown: list[str] = []  # text already given to the student
        self.kept: list[str] = []  # supported sentences as shown
        self.refusals: list[str] = []  # "the passages don't say" sentences, shown only beside a supported one
        self.held: list[str] = []  # sentences the passages do not support: never shown

    def feed(self, piece: str) -> list[str]:
        """Pieces to show now, after adding piece to what the model has written."""
        self.buffer += piece
        out = []
        while (found := next_sentence(self.buffer)) is not None:
            sentence, sep, self.buffer = found
            out += self._take(sentence, self.sep)
            self.sep = "\n" if "\n" in sep else " "  # a list stays a list
        return out

    def finish(self, stopped: bool) -> list[str]:
        """The last pieces to show: the final sentence (unless cut off by Stop), or what to say instead."""
        rest, self.buffer = self.buffer.strip(), ""
        out = []
        if rest and (not stopped or _ENDED.search(rest)):  # a stopped half-sentence is neither checked nor shown
            out += self._take(rest, self.sep)
        if self.kept:
            if self.held:
                n = len(self.held)
                out.append(self._show("\n\n" + HELD_NOTE.format(
                    n="One sentence" if n == 1 else f"{n} sentences", where=self.plan.where)))
        elif stopped:
            pass
        elif not self.refusals:
            out.append(self._show(self._quote()))  # nothing the passages support was written: their own words
        else:
            where = self.plan.where
            out.append(self._show(REFUSED.format(where=where[0].upper() + where[1:])))
        return out

    def result(self) -> tuple[str, list[Citation]]:
        """What was shown, as the answer to keep, and its citations in order of first mention."""
        text = "".join(self.shown).strip()
        cites = []
        for number, index in enumerate(self.order, 1):
            passage = self.plan.passages[index]
            hit = passage.hit
            quote = _snippet(passage, text, number)
            # A recording opens at the second of the quoted sentence, not where the passage or the question's match is.
            hit = replace(hit, start_s=evidence.sentence_start(hit.sentences, quote, hit.start_s))
            cites.append(Citation(number, hit.source_id, hit.source_title, hit.location, hit.page_no, hit.start_s,
                                  hit.end_s, hit.region, hit.chunk_id, quote))
        return text, cites

    def _show(self, text: str) -> str:
        if not self.shown:
            text = text.lstrip()
        self.shown.append(text)
        return text

    def _take(self, sentence: str, sep: str) -> list[str]:
        body = " ".join(MARKER.sub("", sentence).split())
        if not body or any(body == MARKER.sub("", k) for k in self.kept):
            return []  # an empty line or a repeated sentence
        if is_refusal(sentence):
            self.refusals.append(body)
            return []
        cites = self._support(sentence, body)
        if cites and not self.kept and not _answers_the_kind(body, self.plan.question):
            cites = None  # a first sentence that does not answer what was asked is held like an invented one
        if cites is None:
            self.held.append(body)
            return []
        if not cites:
            return []  # no content words ("Sure.", "Here is the answer:"): nothing to show or to check
        out = [self._show(sep + r) for r in self.refusals]  # "it doesn't say X, but..." keeps its first half
        self.refusals = []
        for index in cites:
            if index not in self.order:
                self.order.append(index)
        marks = "".join(f"[{self.order.index(i) + 1}]" for i in sorted(cites, key=self.order.index))
        head, end = re.match(r"(.*?)([.!?]*[\"'”’)]*)$", body, re.DOTALL).groups()
        text = f"{head.rstrip()} {marks}{end or '.'}"
        self.kept.append(text)
        out.append(self._show(sep + text))
        return out

    def _support(self, sentence: str, body: str) -> list[int] | None:
        """Passages (indices) that support the sentence; [] for a sentence that claims nothing; None if none does."""
        words = content_words(body)
        if not words:
            return []
        if len(body.split()) < 3:
            return None  # "1455 [1]" is not a sentence, and nothing says what the number belongs to
        if body.rstrip(".").endswith("?"):
            return None  # Qwen2.5 0.5B sometimes echoes the question, whose words are all in the passages
        if not _names_and_numbers(body) <= self.known:
            return None  # a name or a number no passage mentions is invented
        numbers = {w for w in words if w.isdigit()}
        n = len(self.plan.passages)
        cited = [int(x) - 1 for m in MARKER.finditer(sentence) for x in re.findall(r"\d+", m.group(1))
                 if 1 <= int(x) <= n]
        cover = [len(words & bag) / len(words) for bag in self.bags]
        good = [i for i in range(n) if cover[i] >= SUPPORT_MIN and numbers <= self.bags[i]]
        chosen = [i for i in dict.fromkeys(cited) if i in good]
        if chosen:
            return chosen
        if good:
            return [max(good, key=lambda i: (cover[i], -i))]
        # A sentence joining two passages: together they must hold it, each number in one that is cited.
        if len(words & self.known) / len(words) >= SUPPORT_MIN:
            pair = sorted(range(n), key=lambda i: (-cover[i], i))[:2]
            if numbers <= set().union(*(self.bags[i] for i in pair)) and \
                    len(words & set().union(*(self.bags[i] for i in pair))) / len(words) >= SUPPORT_MIN:
                return sorted(pair, key=lambda i: -cover[i])
        return None

    def _quote(self) -> str:
        """The passages' own best sentences, cited: what to say when the model wrote nothing they support."""
        lines = [QUOTE_INTRO.format(where=self.plan.where)]
        for index, passage in enumerate(self.plan.passages[:2]):
            self.order.append(index)
            lines.append(f"“{passage.best_sentence}” [{index + 1}]")
        return "\n\n".join(lines)


def check_answer(raw: str, plan: Plan, stopped: bool = False) -> tuple[str, list[Citation]]:
    """The answer to keep from a whole model output and its citations (the streaming check, run at once)."""
    checker = Checker(plan)
    checker.feed(raw)
    checker.finish(stopped)
    return checker.result()


def _snippet(passage: Passage, text: str, number: int) -> str:
    """The passage sentence closest to what the answer says with [number], else the one closest to the question."""
    claims = " ".join(s for s in sentences_of(text) if f"[{number}]" in s)
    words = content_words(MARKER.sub("", claims))
    sentences = sentences_of(passage.hit.text)
    best = max(sentences, key=lambda s: len(words & content_words(s)), default=passage.best_sentence)
    chosen = best if words and words & content_words(best) else passage.best_sentence
    return chosen if len(chosen) <= 240 else chosen[:239] + "…"
