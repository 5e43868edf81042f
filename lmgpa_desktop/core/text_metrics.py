"""Word and character error rates with the normalisation the test data asks for."""

from __future__ import annotations

import re
import unicodedata

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell_number(n: int) -> str:
    """An integer below a million in words (numbers are spelled out in the reference transcripts)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + spell_number(rest))
    if n < 1_000_000:
        rest = n % 1000
        return spell_number(n // 1000) + " thousand" + ("" if rest == 0 else " " + spell_number(rest))
    return str(n)


_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}


def spell_ordinal(n: int) -> str:
    """15 -> fifteenth."""
    *head, last = spell_number(n).split()
    if last in _ORDINAL:
        last = _ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])


def spell_year_or_number(n: int) -> str:
    """Numbers read the way speakers say them: 1400 -> fourteen hundred, 1455 -> fourteen fifty five."""
    if 1100 <= n <= 1999:
        hi, lo = divmod(n, 100)
        tail = "hundred" if lo == 0 else (f"oh {spell_number(lo)}" if lo < 10 else spell_number(lo))
        return f"{spell_number(hi)} {tail}"
    return spell_number(n)


def normalize(text: str) -> list[str]:
    """Lower case, numbers spelled out, punctuation and accents stripped, split into words."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"(\d+)(st|nd|rd|th)\b", lambda m: " " + spell_ordinal(int(m.group(1))) + " ", text)
    text = re.sub(r"\d+", lambda m: " " + spell_year_or_number(int(m.group())) + " ", text)
    text = text.replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text).replace("'", "")
    return text.split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edits needed to turn the hypothesis into the reference, per reference word (jiwer)."""
    import jiwer

    ref, hyp = " ".join(normalize(reference)), " ".join(normalize(hypothesis))
    if not ref:
        return float(bool(hyp))
    return float(jiwer.wer(ref, hyp or ""))


def char_error_rate(reference: str, hypothesis: str) -> float:
    """Character edits per reference character, on whitespace-collapsed text (jiwer)."""
    import jiwer

    ref, hyp = " ".join(reference.split()), " ".join(hypothesis.split())
    if not ref:
        return float(bool(hyp))
    return float(jiwer.cer(ref, hyp or ""))
