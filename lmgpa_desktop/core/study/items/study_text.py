"""Text cleaned before anything is chosen from it, and the parts of a sentence worth asking about."""

# Real pages are full of things a teacher would never ask about: figure labels glued into "sentences", running
# headers, page numbers, headings run into the next sentence, words broken at the end of a line. Items are only
# as good as the sentence they come from, so the sentence is cleaned (or dropped) first. What to hide or ask for
# is chosen by what carries meaning (a defined term, a name, a number with its unit, a technical phrase), never
# by frequency alone: the topic word that appears in every sentence is the worst possible answer.

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.words import STOPWORDS, content_words

TOPIC_SHARE = 0.12  # a term in more than this share of the sentences is the topic, not an answer
TOPIC_MIN_SENTENCES = 3
MAX_CAPITALISED_SHARE = 0.5  # more capitalised words than this: a label run or a title, not prose
MIN_LEFT_CONTENT_WORDS = 4  # what a card must still say once its answer is hidden
_FIGURE_REF = re.compile(r"\s*\((?:see\s+)?(?:fig(?:ure)?\.?|table|chart|diagram)\s*[\dA-Z][\w.\-–]*\)",
                         re.IGNORECASE)
_FIGURE_LABEL = re.compile(r"\b(?:fig(?:ure)?\.?|table)\s+\d+(?:[.\-–]\d+)*[a-z]?\b\.?", re.IGNORECASE)
_CAPTION_START = re.compile(r"^(?:fig(?:ure)?\.?|table|chart|diagram|source|photo|image)\s*[\dA-Z]",
                            re.IGNORECASE)
_HYPHEN_BREAK = re.compile(r"\b([a-z]{2,})- (?!and\b|or\b|to\b)([a-z]{2,})\b")
_CAPS_RUN = re.compile(r"(?:\b[A-Z][A-Z0-9'\-]{1,}\b[\s.,:]*){3,}")
_PAGE_NUMBER = re.compile(r"(?:(?<=[.!?])|^)\s*\d{1,4}\s+(?=[A-Z])")
_LEADING_CLAUSE = frozenset("""the a an in this these those it its there when if for most some many each every
one on at as by after before during while although because since to from with what how why where which who
all both no not only such our we you they he she i now here so but then today let once unlike like instead
however while""".split())
_VERBISH = frozenset("is are was were be been has have had do does did can could will would may might must".split())
_UNIT_WORDS = frozenset("""percent per cent degrees degree celsius fahrenheit kelvin meters metres meter metre km
kilometers kilometres miles mile feet foot inches inch kg kilograms grams gram pounds pound tons tonnes ounces
liters litres liter litre ml seconds second minutes minute hours hour days day weeks week months month years year
decades centuries century volts volt watts watt amps amperes ohms hertz hz mph kph psi bytes kb mb gb tb bits
times million billion thousand hundred dollars euros people species cells pages words lines letters""".split())
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_YEAR = re.compile(r"^(1[0-9]{3}|20[0-9]{2})$")
CAUSE = re.compile(r"\b(because(?: of)?|due to|as a result of|in order to|so that)\b\s+(.{8,}?)[.;]?$",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """Something in a sentence worth asking for: its text as written, its kind, and how good an answer it is."""

    text: str
    kind: str  # number, year, defined, name, term, cause
    score: float


def clean_passage(text: str) -> str:
    """A passage without figure references, caption labels, running headers, page numbers and broken words."""
    text = re.sub(r"(?<=[a-z])[\ufffe\u00ad]\s*(?=[a-z])", "", text)  # PDF soft hyphens at line ends
    text = _FIGURE_REF.sub("", text)
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _CAPS_RUN.sub(lambda m: " " if _shouting(m.group(0)) else m.group(0), text)
    text = _PAGE_NUMBER.sub(" ", text)
    return " ".join(text.split())


def _shouting(run: str) -> bool:
    """Whether an upper-case run is a running header ("CHAPTER 1. THE WAY OF THE PROGRAM"), not acronyms."""
    found = ex.words(run)
    return len([w for w in found if len(w) > 3]) >= 2


def strip_glued_heading(sentence: str, after_number: bool = False) -> str:
    """A sentence without the heading run into its start ("Running Python The interpreter is ..." -> "The ...");
    after_number: it followed a section number ("2.3."), so it surely starts with a heading."""
    body = ex.strip_heading(sentence)
    tokens = body.split()
    if after_number:
        for at in range(1, min(9, len(tokens) - 3)):
            nxt = tokens[at + 1]
            if tokens[at][:1].isupper() and nxt[:1].islower():
                rest = " ".join(tokens[at:])
                return rest if ex.is_usable(rest) else body
        return body
    for at in range(2, min(9, len(tokens) - 3)):  # "The first program 3 Now you're ready": a title and its page
        if re.fullmatch(r"\d{1,3}", tokens[at]) and tokens[at + 1][:1].isupper() \
                and not any(t.lower() in _VERBISH or t.endswith((".", ",", ";", ":")) for t in tokens[:at]):
            rest = " ".join(tokens[at + 1:])
            if ex.is_usable(rest):
                return rest
            break
    for at in range(1, min(7, len(tokens) - 3)):
        word = tokens[at].strip(",;:")
        if word.lower() not in _LEADING_CLAUSE or not word[:1].isupper():
            continue
        head = tokens[:at]
        if all(t[:1].isupper() or t.lower() in ("of", "and", "the", "to", "in", "for", "a", "&") for t in head) \
                and not head[-1].endswith((".", ",", ":", ";")):
            rest = " ".join(tokens[at:])
            if ex.is_usable(rest):
                return rest
        break
    return body


def _caption_or_label(sentence: str) -> bool:
    """A figure caption, a run of labels, a title: capitalised words with little prose between them."""
    if _CAPTION_START.match(sentence) or _FIGURE_LABEL.search(sentence):
        return True
    found = ex.words(sentence)
    if not found:
        return True
    capitals = sum(w[:1].isupper() for w in found[1:] if w.lower() not in STOPWORDS)
    if capitals > MAX_CAPITALISED_SHARE * max(1, len(found) - 1):
        return True
    return not any(w.lower() in STOPWORDS for w in found)  # prose has function words; a label list has none


def prose_sentence(sentence: str, after_number: bool = False) -> str | None:
    """The sentence cleaned for use in an item, or None when it is not prose that can stand alone."""
    body = strip_glued_heading(" ".join(sentence.split()), after_number)
    body = re.sub(r"\s+([.,;:!?])", r"\1", body).strip()
    body = re.sub(r"([.!?])(?:\s*[.!?])+$", r"\1", body)  # ". ." left by a removed label
    if not body or _caption_or_label(body) or not ex.is_usable(body):
        return None
    glossary = re.match(r"^[a-z][a-z\- ]{0,40}: [A-Z]", body)  # "bug: An error in a program." starts small
    if body[:1].islower() and not glossary or re.search(r"(?::\s*|\s)\d+\.$", body):
        return None  # cut in the middle by a page break, or an exercise list running into the next item
    if not body.endswith((".", "!", "?")) or body.count("(") != body.count(")"):
        return None
    return body


_SECTION_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)+\.?|Chapter\s*\d+\.?)$")


def prose_sentences(texts: list[str], pages: list[object] | None = None,
                    clean: bool = True) -> list[tuple[str, int]]:
    """(cleaned sentence, index of its text) for the prose of texts, in reading order; texts are the passages of
    one document (their pages say where running headers repeat; None for speech, which has none); clean False:
    the texts went through clean_passage already."""
    cleaned = [clean_passage(t) for t in texts] if clean else list(texts)
    headers = running_headers(list(zip(pages, cleaned))) if pages is not None else set()
    out = []
    for i, text in enumerate(cleaned):
        previous = ""
        for s in ex.split_sentences(text):
            numbered = bool(_SECTION_NUMBER.match(previous))  # what follows "2.3." starts with its heading
            previous = s
            if header_key(s) in headers:
                continue
            marked = re.match(r"^\s*#{1,6}\s+", s)  # a Markdown heading (slide and note titles) run into its text
            if marked:
                s = s[marked.end():]
                if strip_glued_heading(s, True) == ex.strip_heading(s):
                    continue  # where the title ends cannot be told: better no item than one with a title in it
                numbered = True
            body = prose_sentence(s, numbered)
            if body:
                out.append((body, i))
    return out


def running_headers(pages: list[tuple[object, str]]) -> set[str]:
    """Short fragments that recur on three or more pages (digits ignored): running headers and footers."""
    seen: dict[str, set] = {}
    for page, text in pages:
        for s in ex.split_sentences(text):
            key = header_key(s)
            if key and len(key.split()) <= 10:
                seen.setdefault(key, set()).add(page)
    return {k for k, where in seen.items() if len(where) >= 3}


def header_key(sentence: str) -> str:
    """The form in which a running header is the same on every page ("2 Chapter 1." and "4 Chapter 1.")."""
    return re.sub(r"\d+", "#", ex.normalize(sentence))


def topic_terms(sentences: list[str], terms: list[ex.Term]) -> set[str]:
    """Words and terms that appear in so many sentences that hiding one tests nothing (lower case)."""
    n = max(1, len(sentences))
    lowered = [f" {ex.normalize(s)} " for s in sentences]
    counts: Counter = Counter()
    for s in lowered:
        counts.update(set(s.split()))
    limit = max(TOPIC_MIN_SENTENCES, TOPIC_SHARE * n)
    out = {w for w, k in counts.items() if k >= limit and len(w) > 2 and w not in STOPWORDS and not w.isdigit()}
    for w in list(out):  # "program" and "programs" are one topic
        out |= {w + "s", w + "es"} | ({w[:-1]} if w.endswith("s") else set())
    for term in terms:
        key = f" {ex.normalize(term.text)} "
        if sum(key in s for s in lowered) >= limit:
            out.add(term.text.lower())
    return out


def numbers_with_units(sentence: str) -> list[tuple[str, str]]:
    """("100 degrees Celsius", "number"), ("1455", "year") ... as written in the sentence."""
    out = []
    for m in _NUMBER.finditer(sentence):
        value = m.group(0)
        if _YEAR.match(value):
            out.append((value, "year"))
            continue
        if len(value) < 2 and not re.match(r"\s+(?:[a-z%°])", sentence[m.end():m.end() + 2]):
            continue  # a lone digit is usually a list number, not a fact
        after = sentence[m.end():].split()
        phrase = value
        if after:
            unit = after[0].strip(".,;:)")
            if unit.lower() in _UNIT_WORDS or unit in ("%", "°C", "°F") or unit.endswith("%"):
                phrase = f"{value} {unit}"
                if len(after) > 1 and after[1].strip(".,;:)").lower() in _UNIT_WORDS | {"celsius", "fahrenheit"}:
                    phrase += " " + after[1].strip(".,;:)")
        out.append((phrase, "number"))
    return out


def names_in(sentence: str) -> list[str]:
    """Capitalised names inside the sentence (not its first word): "Johann Gutenberg", "Python"."""
    tokens = sentence.split()
    out, run = [], []
    for i, tok in enumerate(tokens + ["."]):
        word = tok.strip(",;:.()\"“”'’")
        capital = i > 0 and word[:1].isupper() and word.isalpha() and word.lower() not in STOPWORDS
        if capital or (run and word in ("of", "de", "von", "van") and i + 1 < len(tokens)
                       and tokens[i + 1][:1].isupper()):
            run.append(word)
            if tok.endswith((",", ";", ":", ".", ")")):
                out.append(" ".join(run))
                run = []
            continue
        if run:
            out.append(" ".join(run))
        run = []
    return [n for n in out if n.split()[-1] not in ("of", "de", "von", "van") and len(n.split()) <= 4]


def _occurrences(sentence: str, text: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(text)}(?![\w-])", sentence, re.IGNORECASE))


def targets(sentence: str, terms: list[ex.Term], defined: set[str], topic: set[str]) -> list[Target]:
    """What a card about this sentence could hide or ask for, best first."""
    found: list[Target] = []
    weights = {t.text.lower(): t.score for t in terms}
    for phrase, kind in numbers_with_units(sentence):
        found.append(Target(phrase, kind, 3.0 if kind == "year" or " " in phrase else 1.6))
    for term in defined:
        if _occurrences(sentence, term):
            found.append(Target(_as_written(sentence, term), "defined", 2.8))
    names = names_in(sentence)
    for name in names:
        found.append(Target(name, "name", 2.2 + 0.6 * (len(name.split()) > 1)))
    for term in ex.terms_in(sentence, terms):
        size = len(term.text.split())
        written = _as_written(sentence, term.text).split()
        if size > 1 and len({w[:1].isupper() for w in written[1:]}) > 1 or (
                size > 1 and written[-1][:1].isupper() and _as_written(sentence, term.text) not in names):
            continue  # "Ranlett Flint forming", "Dow Jones Industrial": a piece of a name, not a term
        if any(set(written) & set(n.split()) and not set(n.split()) <= set(written) for n in names):
            continue  # "Ages brought calligraphy" cuts the name "Middle Ages" in two
        if size == 1 and weights.get(term.text.lower(), 0) < 1.0:
            continue  # a single common word said twice is not a technical term
        if not _noun_like(term.text):
            continue
        found.append(Target(_as_written(sentence, term.text), "term", 1.2 + 0.5 * (size - 1) + 0.2 * term.score))
    out, seen = [], set()
    for t in sorted(found, key=lambda t: -t.score):
        low = t.text.lower()
        if low in seen or low in topic or low in STOPWORDS or _occurrences(sentence, t.text) != 1:
            continue  # a word hidden once and shown again elsewhere in the card gives itself away
        if any(low in s or s in low for s in seen):
            continue
        blanked = re.sub(rf"(?<![\w-]){re.escape(t.text)}(?![\w-])", " ", sentence, flags=re.IGNORECASE)
        if len(content_words(blanked)) < MIN_LEFT_CONTENT_WORDS:
            continue
        seen.add(low)
        out.append(t)
    return out


_VERBS = frozenset("""run runs read reads learn learns write writes provide provides type types install installs
start starts print prints work works follow follows look looks turn turns figure figures try tries show shows
get gets make makes allow allows help helps tell tells become becomes produce produces contain contains hold
holds mean means seem seems represent represents require requires say says describe describes explain explains
out up down off over away back less more most much very""".split())


def _noun_like(term: str) -> bool:
    """Whether a term reads as a thing ("formal languages"), not as an action ("figure out", "installing Python")."""
    found = term.split()
    if any(w.lower() in _VERBS for w in found):
        return False
    return not (len(found) > 1 and found[0].lower().endswith("ing"))


def _as_written(sentence: str, text: str) -> str:
    m = re.search(rf"(?<![\w-]){re.escape(text)}(?![\w-])", sentence, re.IGNORECASE)
    return m.group(0) if m else text


def cause_of(sentence: str) -> Target | None:
    """The reason a sentence gives ("... because the ink dried slowly"), for a "why" card."""
    m = CAUSE.search(sentence)
    if not m or m.start() < 15:
        return None
    reason = m.group(2).strip().rstrip(".")
    if len(content_words(reason)) < 2:
        return None
    return Target(f"{m.group(1)} {reason}", "cause", 2.6)


def answer_kind(answer: str) -> str:
    """"year", "number", "name", "term" or "phrase": which answers can stand in for each other in a choice."""
    if _YEAR.match(answer.strip()):
        return "year"
    if _NUMBER.match(answer.strip()):
        return "number"
    if len(answer.split()) > 4:
        return "phrase"
    if answer[:1].isupper():
        return "name"
    return "term"


def word_counts(sentences: list[str]) -> Counter:
    """How often each content word occurs in the material."""
    counts: Counter = Counter()
    for s in sentences:
        counts.update(content_words(s))
    return counts
