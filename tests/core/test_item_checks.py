"""The checks a model-written question must pass before a student sees it, on real sentences: it reads as a
question, does not give its answer away, uses the passage's words, asks about the answer's part of the sentence,
and the model's answer back counts as the chosen one only when it is (numbers must match exactly)."""

from __future__ import annotations

from lmgpa_desktop.core.study.items import item_writer as iw

IBM = ("IBM was founded in 1911 as the Computing-Tabulating-Recording Company (CTR), a holding company of "
       "manufacturers of record-keeping and measuring systems.")
WATSON = ("Watson, Sr., fired from the National Cash Register Company by John Henry Patterson, called on Flint and, "
          "in 1914, was offered a position at CTR.")
BIBLE = ("But the first Bible actually dated (which also was printed at Maintz by Peter Schoeffer in the year 1462) "
         "imitates a much freer hand.")


def test_a_question_reads_as_one_and_keeps_its_answer_hidden():
    assert iw.well_formed("When was IBM founded?", "1911") == ""
    assert iw.well_formed("IBM was founded in 1911", "1911") == "does not end as a question"
    assert iw.well_formed("When was IBM founded in 1911?", "1911") == "gives its answer away"
    assert iw.well_formed("What are formal languages?", "formal languages") == "gives its answer away"
    assert iw.well_formed("Which languages are more dense than natural languages?", "formal languages") == ""
    assert iw.well_formed("What what what is the the the program program?", "x") == "repeats itself"
    assert iw.well_formed("Blue sky?", "x") == "too short or too long"


def test_a_question_uses_the_passages_words_and_asks_about_the_answers_clause():
    assert iw.grounded("Who printed the first dated Bible?", BIBLE)
    assert not iw.grounded("Who wrote the first Bible?", BIBLE)  # "wrote" is not what the passage says
    assert iw.about_answer("In what year was Watson offered a position at CTR?", WATSON, "1914")
    assert not iw.about_answer("When was Watson fired from the National Cash Register Company?", WATSON, "1914")
    assert iw.about_answer("When was IBM founded?", IBM, "1911")


def test_the_answer_back_must_be_the_chosen_answer():
    assert iw.same_answer("1911", "1911")
    assert iw.same_answer("in 1911", "1911")
    assert not iw.same_answer("1914", "1911")
    assert iw.same_answer("Peter Schoeffer", "Peter Schoeffer")
    assert not iw.same_answer("Maintz", "Peter Schoeffer")
    assert iw.same_answer("80 percent", "80 percent")
    assert not iw.same_answer("70 percent", "80 percent")
