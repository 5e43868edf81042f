"""Study material chosen from the text itself, without a model: sentences, key terms, definitions, cloze."""

# A small base model cannot be trusted to pick what matters or to state it correctly, so everything a
# generated item asserts starts here, in the student's own material; the model only rephrases.

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from lmgpa_desktop.core.words import STOPWORDS, content_words

MIN_SENTENCE_WORDS = 6
MAX_SENTENCE_WORDS = 45
MAX_TERM_WORDS = 3
# Words that are frequent in any text and make poor answers ("the first way of the thing").
GENERIC = frozenset("""
one two three four five six seven eight nine ten first second third last next other another same different
new old good bad great little long short big small high low large much many few several every each all both
way ways thing things time times part parts kind kinds sort lot lots end case cases example examples fact point
place number numbers people person word words line lines page pages chapter section today week day year years
make makes made making use uses used using get gets got take takes took taken give gives gave given go goes went
come comes came see sees saw seen look looks looked find finds found let lets put puts set try tries tried want
wants need needs keep keeps begin begins began start starts started seem seems call calls called include includes
however therefore also well even still already really actually quite rather almost always often usually never
sometimes perhaps maybe probably whether either neither yet though although because since while until unless
important possible certain whole simple able likely true false right wrong sure clear clearly especially
something anything nothing everything someone anyone everyone thus hence whatever whichever hand course matter
have has had like likes liked unlike says tell tells told think thinks thought know knows knew known mean means
going want wanted useful happen happens happened look remember question questions answer answers good morning
""".split())
_VAGUE = frozenset("good useful great simple nice easy bad common important quick".split())
PRONOUN_START = frozenset("it its this that these those they them their he she his her there here which such so "
                          "but and or then also however thus".split())
_WORDS = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d+(?:[.,]\d+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(A-Z0-9])")
_HEADING = re.compile(r"^(?:Chapter\s*\d+|\d+(?:\.\d+)+\.?)\s*")
_GLOSSARY = re.compile(r"^([a-z][a-z\-]*(?: [a-z][a-z\-]*){0,3}):\s+([A-Z].+)$")
_INLINE_GLOSSARY = re.compile(r"(?<=[a-z0-9).;:,”\"]) ((?:[a-z][a-z\-]* ){0,2}[a-z][a-z\-]*): (?=[A-Z])")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_YEAR = re.compile(r"^(1[0-9]{3}|20[0-9]{2})$")
_NOISE = re.compile(r"https?://|www\.|>>>|\bExercise\b|[{}<>=]|\.\.\.")
_COPULA = re.compile(
    r"^(?P<subject>(?:(?:a|an|the)\s+)?[A-Za-z][\w\-']*(?:\s+[A-Za-z][\w\-']*){0,3})\s+"
    r"(?P<verb>is|are|means|refers to|is defined as|are defined as|is called|are called)\s+"
    r"(?P<rest>.+)$", re.IGNORECASE)
_CALLED = re.compile(r"^(?P<what>(?:a|an|the)\s+.+?)\s+(?:is|are)\s+(?:also\s+)?called\s+(?:the\s+|a\s+|an\s+)?"
                     r"(?P<term>[A-Za-z][\w\-]*(?:\s+[A-Za-z][\w\-]*){0,2})$", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:a|an|the)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """A key term of the material and how strongly it stands out."""

    text: str
    score: float
    count: int


@dataclass(frozen=True)
class Definition:
    """A term and what the material says it is, from one sentence."""

    term: str
    definition: str
    sentence: str
    style: str  # glossary ("term: text"), copula ("X is a Y"), called ("Y is called X")
    score: float


@dataclass(frozen=True)
class Cloze:
    """A sentence with one key term (or number) hidden."""

    sentence: str
    answer: str
    text: str  # Anki's form: "The {{c1::stroma}} is ..."
    blanked: str  # "The _____ is ..."


def words(text: str) -> list[str]:
    """Words and numbers of a text, as written."""
    return _WORDS.findall(text)


def normalize(text: str) -> str:
    """Lower case, words only, single spaces: the form two texts are compared in."""
    return " ".join(w.lower() for w in words(text))


def unique_sentences(sentences: list[str]) -> list[str]:
    """Sentences without repeats, where a sentence contained in a longer one counts as a repeat (passages overlap)."""
    kept: list[str] = []
    keys: list[str] = []
    for sentence in sentences:
        key = normalize(sentence)
        if not key or any(key in k for k in keys):
            continue
        for i, k in enumerate(keys):
            if k in key:  # the longer version replaces the shorter one
                kept[i], keys[i] = sentence, key
                break
        else:
            kept.append(sentence)
            keys.append(key)
    return kept


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; glossary runs ("bug: An error. debugging: The process ...") come apart too."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        para = " ".join(para.split())
        for sentence in _SENTENCE_END.split(para):
            out.extend(s for s in _split_glossary(sentence) if s)
    return out


def _split_glossary(sentence: str) -> list[str]:
    """Cut before each "term: Definition" inside a run; the term never starts with a small word ("it prompt")."""
    parts, at = [], 0
    for m in _INLINE_GLOSSARY.finditer(sentence):
        term_words = m.group(1).split()
        before = sentence[:m.start()].split()
        if sentence[m.start() - 1] not in ".;:," and not (before and before[-1][:1].isupper()):
            term_words = term_words[-1:]  # no clear start: "... executes it prompt:" defines "prompt"
        if term_words[0] in STOPWORDS or term_words[-1].endswith("ly"):
            continue
        cut = m.end(1) - len(" ".join(term_words))
        parts.append(sentence[at:cut].strip())
        at = cut
    parts.append(sentence[at:].strip())
    return parts


def strip_heading(sentence: str) -> str:
    """A sentence without a leading section number or chapter label ("1.1. What is ..." -> "What is ...")."""
    return _HEADING.sub("", sentence).strip()


def is_usable(sentence: str) -> bool:
    """Whether a sentence can stand alone as a study item (long enough, prose, not a question or code)."""
    n = len(words(sentence))
    if not MIN_SENTENCE_WORDS <= n <= MAX_SENTENCE_WORDS or sentence.rstrip().endswith("?"):
        return False
    if _NOISE.search(sentence):
        return False
    letters = sum(ch.isalpha() for ch in sentence)
    return letters >= 0.6 * len(sentence)


def _term_key(term: str) -> str:
    """The form under which "Interpreters" and "interpreter" are counted together."""
    return " ".join(sorted(content_words(term))) or term.lower()


def _candidates(sentence: str) -> list[str]:
    """Runs of up to MAX_TERM_WORDS meaningful words (no stopwords, no generic words inside or at the ends)."""
    out, run = [], []
    for w in words(sentence) + [""]:
        low = w.lower()
        good = (bool(w) and not _NUMBER.match(w) and low not in STOPWORDS and low not in GENERIC and len(w) > 2
                and not (w.islower() and low.endswith(("ed", "ly"))))  # participles and adverbs make poor terms
        if good:
            run.append(w)
            continue
        for size in range(1, MAX_TERM_WORDS + 1):
            for i in range(len(run) - size + 1):
                out.append(" ".join(run[i:i + size]))
        run = []
    return out


def key_terms(sentences: list[str], defined: list[str] = (), limit: int = 40) -> list[Term]:
    """Terms that stand out, best first: frequent, multi-word, defined in the text, named with capitals."""
    counts: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = {}
    first_at: dict[str, int] = {}
    proper: Counter[str] = Counter()
    for position, sentence in enumerate(sentences):
        body = strip_heading(sentence)
        starts = {m.start() for m in re.finditer(r"^|[.!?:;]\s+", body)}
        for cand in set(_candidates(body)):
            key = _term_key(cand)
            counts[key] += 1
            shown.setdefault(key, Counter())[cand] += 1
            first_at.setdefault(key, position)
            at = body.find(cand)
            if cand[0].isupper() and at not in starts and at > 0:
                proper[key] += 1
    defined_keys = {_term_key(t) for t in defined}
    total = max(1, len(sentences))
    scored = []
    for key, n in counts.items():
        form = shown[key].most_common(1)[0][0]
        size = len(form.split())
        if n < 2 and key not in defined_keys and not (proper[key] and size > 1):
            continue  # said once and not defined: rarely the point
        score = math.log1p(n) * (1 + 0.5 * (size - 1))
        score *= 2.0 if key in defined_keys else 1.0
        score *= 1.4 if proper[key] else 1.0
        score *= 1.2 - 0.4 * first_at[key] / total  # what comes early tends to be the topic
        scored.append(Term(form if proper[key] else form.lower(), score, n))
    scored.sort(key=lambda t: (-t.score, t.text))
    # A longer term that contains a shorter one as often ("carbon dioxide" vs "carbon") replaces it.
    kept: list[Term] = []
    for term in scored:
        inner = [k for k in kept if f" {term.text.lower()} " in f" {k.text.lower()} " and k.count >= term.count - 1]
        if inner:
            continue
        kept.append(term)
        if len(kept) >= limit:
            break
    return kept


def numbers(sentence: str) -> list[str]:
    """Years and figures in a sentence (good answers: "1455", "6")."""
    return [w for w in words(sentence) if _NUMBER.match(w) and (len(w) >= 2 or _YEAR.match(w))]


def definition(sentence: str) -> Definition | None:
    """The term a sentence defines and its definition, if the sentence is a definition."""
    body = strip_heading(sentence).rstrip(" .;")
    m = _GLOSSARY.match(body)
    if m:
        term, text = m.group(1), m.group(2)
        if len(words(text)) >= 3 and term.lower() not in STOPWORDS and _noun_phrase(text) and _prose(text):
            return Definition(term, text, sentence, "glossary", 3.0)
        return None
    # "A quick definition before we move on, an autotroph is ...": the clause after the last comma
    clause = body.rsplit(", ", 1)[-1] if re.search(r",\s+(?:a|an|the)\s+\w+(?:\s+\w+)?\s+(?:is|are)\s", body) \
        else body
    m = _CALLED.match(clause)
    if m and len(words(m.group("what"))) >= 3:
        term = m.group("term")
        if term.lower() not in STOPWORDS and term.lower() not in GENERIC:
            what = _ARTICLE.sub("", m.group("what"))
            return Definition(term, what[0].upper() + what[1:], sentence, "called", 2.0)
    m = _COPULA.match(clause)
    if not m:
        return None
    subject, verb, rest = m.group("subject"), m.group("verb").lower(), m.group("rest")
    head = _ARTICLE.sub("", subject)
    head_words = [w.lower() for w in head.split()]
    if (not head_words or head_words[0] in PRONOUN_START or any(w in STOPWORDS for w in head_words)
            or all(w in GENERIC for w in head_words)):
        return None
    rest_words = words(rest)
    if len(rest_words) < 3:
        return None
    strong = verb in ("means", "refers to", "is defined as", "are defined as") or bool(
        re.match(r"(?:a|an|any|one)\s", rest, re.IGNORECASE))
    if not strong and not re.match(r"the\s+\w+\s+(?:of|that|which|who|where|in|by|for)\b", rest, re.IGNORECASE):
        return None  # "X is the light-dependent reactions" says what comes first, not what X is
    if verb in ("is called", "are called"):
        return None
    text = rest[0].upper() + rest[1:]
    if not _prose(text):
        return None
    return Definition(head, text, sentence, "copula", 2.5 if strong else 1.5)


def _prose(text: str) -> bool:
    """A definition that reads as one: no code or list after it, not "a good way to ...", not "In order to ..."."""
    found = words(text)
    if not found or _NOISE.search(text) or "•" in text:
        return False
    first = found[0].lower()
    if first in STOPWORDS and first not in ("a", "an", "the", "to", "any"):
        return False
    return not (len(found) > 1 and first in ("a", "an") and found[1].lower() in _VAGUE)


def _noun_phrase(text: str) -> bool:
    """Whether a text reads as a definition ("A name that refers to a value") rather than a statement
    ("Natural languages are full of idiom"): no "is"/"are" among its first words outside a relative clause."""
    for w in words(text)[:6]:
        low = w.lower()
        if low in ("that", "which", "who", "where", "when"):
            return True
        if low in ("is", "are", "was", "were"):
            return False
    return True


def sentence_score(sentence: str, terms: dict[str, float]) -> float:
    """How much a sentence says about the key terms, per word (definitions and figures count extra)."""
    body = strip_heading(sentence)
    low = f" {normalize(body)} "
    hit = sum(score for term, score in terms.items() if f" {normalize(term)} " in low)
    n = len(words(body))
    score = hit / math.sqrt(max(n, 1))
    first = body.split(" ", 1)[0].lower().strip(",")
    if first in PRONOUN_START:
        score *= 0.6  # leans on the sentence before it
    if numbers(body):
        score *= 1.15
    return score


def key_sentences(sentences: list[str], terms: list[Term], limit: int = 20) -> list[tuple[str, float]]:
    """The sentences that carry the most key terms, best first (unusable ones left out)."""
    weights = {t.text: t.score for t in terms}
    scored = [(s, sentence_score(s, weights)) for s in sentences if is_usable(strip_heading(s))]
    scored = [x for x in scored if x[1] > 0]
    scored.sort(key=lambda x: -x[1])
    return scored[:limit]


def terms_in(sentence: str, terms: list[Term]) -> list[Term]:
    """The key terms a sentence contains, best first."""
    low = f" {normalize(sentence)} "
    return [t for t in terms if f" {normalize(t.text)} " in low]


def cloze(sentence: str, answer: str, number: int = 1) -> Cloze | None:
    """Hide every occurrence of answer in sentence (as a whole word, any case)."""
    body = strip_heading(sentence)
    pattern = re.compile(rf"(?<![\w-]){re.escape(answer)}(?![\w-])", re.IGNORECASE)
    if not pattern.search(body):
        return None
    found = pattern.search(body).group(0)
    text = pattern.sub(lambda m: f"{{{{c{number}::{m.group(0)}}}}}", body)
    blanked = pattern.sub("_____", body)
    if len(content_words(blanked)) < 3:
        return None  # too little left to recall the answer from
    return Cloze(body, found, text, blanked)


def best_cloze(sentence: str, terms: list[Term]) -> Cloze | None:
    """The cloze that hides a year of the sentence, else its best key term, else another figure."""
    years = [w for w in numbers(sentence) if _YEAR.match(w)]
    others = [w for w in numbers(sentence) if not _YEAR.match(w)]
    for answer in years + [t.text for t in terms_in(sentence, terms)] + others:
        c = cloze(sentence, answer)
        if c is not None:
            return c
    return None


def answers_in(sentence: str, terms: list[Term]) -> list[str]:
    """What a question about this sentence could ask for: its years, key terms and figures, best first."""
    years = [w for w in numbers(sentence) if _YEAR.match(w)]
    others = [w for w in numbers(sentence) if not _YEAR.match(w)]
    return years + [t.text for t in terms_in(sentence, terms)] + others


def answer_type(answer: str) -> str:
    """"year", "number", "name" (capitalised) or "term": what kind of question asks for it."""
    if _YEAR.match(answer):
        return "year"
    if _NUMBER.match(answer):
        return "number"
    if answer[:1].isupper():
        return "name"
    return "term"


def cloze_answer(text: str) -> str:
    """The hidden part of an Anki cloze ("{{c1::stroma}}" or "{{c1::stroma::hint}}")."""
    m = re.search(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", text)
    return m.group(1) if m else ""


def cloze_blank(text: str) -> str:
    """An Anki cloze with its answers replaced by blanks."""
    return re.sub(r"\{\{c\d+::.*?\}\}", "_____", text)


def cloze_reveal(text: str) -> str:
    """An Anki cloze with its answers shown."""
    return re.sub(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", r"\1", text)


def question_for(term: str, definition_text: str, style: str = "", sentence: str = "") -> str:
    """A plain question whose answer is the definition ("What is a bug?", "What does it mean to parse?")."""
    if re.match(rf"(?:\S+\s+){{0,3}}?the\s+{re.escape(term)}\b", strip_heading(sentence), re.IGNORECASE):
        return f"What is the {term}?"  # "The Python interpreter is ..." asks for "the Python interpreter"
    if style == "called":
        return f"What is the {term}?"
    if definition_text.lower().startswith("to "):
        return f"What does it mean to {term}?"
    if definition_text.lower().startswith(("get ", "display ", "perform ", "check ", "run ")):
        return f"What does {term} do?"
    return f"What is {_article(term)}{term}?"


def statement_for(d: Definition, claim: str) -> str:
    """A definition as a plain statement with a given claim ("A value is a name that refers to a value.")."""
    claim = claim.rstrip(" .")
    if d.style == "glossary":
        return f"{d.term[0].upper() + d.term[1:]}: {claim}."
    if d.style == "called":
        return f"{claim[0].upper() + claim[1:]} is called the {d.term}."
    subject = question_for(d.term, claim, d.style, d.sentence).removeprefix("What is ").rstrip("?")
    if subject.startswith(("What ", "what ")):
        subject = d.term
    verb = "are" if d.term.lower().endswith("s") and not d.term.lower().endswith("ss") else "is"
    return f"{subject[0].upper() + subject[1:]} {verb} {claim[0].lower() + claim[1:]}."


def _article(term: str) -> str:
    """"a ", "an " or "" (plurals, proper names and mass nouns read better bare)."""
    if term[:1].isupper() or term.lower().endswith(("s", "ing")) or len(term.split()) > 2:
        return ""
    return "an " if term[0].lower() in "aeiou" else "a "
