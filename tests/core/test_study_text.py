"""Cleaning real pages before study items are chosen, and choosing what a card asks for: figure labels, running
headers, headings glued to sentences and broken words go; a name, a figure with its unit or a defined term is
asked for, never the topic word of the passage, and never a word shown twice in the same card."""

from __future__ import annotations

from support import SHARED

from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.study.items import study_text as st
from lmgpa_desktop.core.study.items.distractors import Pool

THINKPYTHON = (SHARED / "documents" / "pdf" / "thinkpython2_ch01-02.pdfium-text.txt").read_text(encoding="utf-8")
IBM = (SHARED / "documents" / "markdown" / "wiki.md").read_text(encoding="utf-8")
# A page of an aircraft maintenance handbook as its text layer comes out: labels of a figure run into the text.
HANDBOOK = ("Self-locking nuts are used where a connection is subject to vibration. This Tightened nut Untightened "
            "nut Nut case Elastic stop nut Figure 7-26. The elastic stop nut is a standard nut with the height "
            "increased to accommodate a fiber locking collar (Figure 7-26). The fiber collar is not threaded and its "
            "inside diameter is smaller than the largest diameter of the threaded portion. The nut must be replaced "
            "after it has been removed 15 times. Nut types are chosen for their strength, because a nut that fails "
            "can let the bolt work loose.")


def _pages(text: str) -> list[tuple[int, str]]:
    """(page, text) of the pdfium extraction, flattened the way passages are stored."""
    out = []
    for n, block in enumerate(text.split("=== page ")[1:], 1):
        out.append((n, " ".join(block.split("\n", 1)[1].split())))
    return out


def test_figure_labels_and_captions_are_not_sentences():
    sentences = [st.prose_sentence(s) for s in ex.split_sentences(st.clean_passage(HANDBOOK))]
    kept = [s for s in sentences if s]
    assert not any("Figure" in s or "Tightened" in s for s in kept), kept
    assert "The elastic stop nut is a standard nut with the height increased to accommodate a fiber locking " \
           "collar." in kept  # the figure reference is gone, the sentence stays
    assert all(s.endswith(".") and ". ." not in s for s in kept)


def test_running_headers_and_glued_headings_of_a_real_book_are_removed():
    pages = _pages(THINKPYTHON)
    headers = st.running_headers(pages)
    assert st.header_key("2 Chapter 1.") in headers
    kept = [s for s, _ in st.prose_sentences([t for _, t in pages], [p for p, _ in pages])]
    assert kept and not any(s.startswith(("Chapter", "Running Python")) for s in kept)
    assert any(s.startswith("One of the challenges of getting started with Python") for s in kept)
    assert not any(s.startswith("The first program") for s in kept)


def test_words_broken_at_a_line_end_are_joined():
    assert st.clean_passage("the ability to solve prob- lems is a skill") == "the ability to solve problems is a skill"
    assert st.clean_passage("pre- and post-war prices") == "pre- and post-war prices"


def test_a_number_is_asked_for_with_its_unit_and_a_name_as_a_whole():
    sentence = "During the 1960s and 1970s the company produced 80 percent of computers in the U.S. market."
    found = [t.text for t in st.targets(sentence, [], set(), set())]
    assert "80 percent" in found
    names = [t.text for t in st.targets("The company was founded by Charles Ranlett Flint in the state of New "
                                        "York as a holding company.", [], set(), set()) if t.kind == "name"]
    assert "Charles Ranlett Flint" in names and "New York" in names


def test_the_topic_word_is_never_the_answer_and_nothing_is_hidden_twice():
    sentences = [s for s in (st.prose_sentence(x) for x in ex.split_sentences(st.clean_passage(HANDBOOK))) if s]
    terms = ex.key_terms(sentences)
    topic = st.topic_terms(sentences, terms)
    assert "nut" in topic
    for s in sentences:
        for t in st.targets(s, terms, set(), topic):
            assert t.text.lower() != "nut"
            assert len(ex.cloze(s, t.text).text.split("{{c1::")) == 2, (s, t)
    assert any(t.text == "15 times" for s in sentences for t in st.targets(s, terms, set(), topic))


def test_a_reason_is_found_for_a_why_card():
    cause = st.cause_of("Nut types are chosen for their strength, because a nut that fails can let the bolt work "
                        "loose.")
    assert cause is not None and cause.text.startswith("because a nut that fails")


def test_distractors_are_of_the_answers_kind_and_not_in_its_sentence():
    sentences = [s for s in (st.prose_sentence(x) for x in ex.split_sentences(st.clean_passage(
        IBM.replace("\n", " ")))) if s]
    pool = Pool(sentences, ex.key_terms(sentences), [])
    quote = next(s for s in sentences if "1911" in s)
    years = pool.pick("1911", quote)
    assert len(years) == 3 and all(st.answer_kind(y) == "year" and y not in quote for y in years)
    percent = pool.pick("80 percent", "the company producing 80 percent of computers in the U.S.")
    assert len(percent) == 3 and all(p.endswith("percent") and not p.startswith("80 ") for p in percent)
    names = pool.pick("Microsoft", "its DOS software provided by Microsoft")
    assert names and all(n[:1].isupper() and "Microsoft" not in n for n in names)
