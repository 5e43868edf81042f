"""The chat tests' shared profile (core and GUI): a transcribed lecture and a book, indexed; a scripted model; what
a chat view shows below a question, and the check that none of it is taken back."""

from __future__ import annotations

from lmgpa_desktop.storage import search_repo, sources_repo

LONG_QUESTION = "What does the reading say about the first dated Bible?"  # answered in more than one sentence


class ScriptedModel:
    """A model without a chat template that writes the given text a few characters at a time (and with `then_wait`,
    waits after it until the answer is stopped, as a slow model would still be writing)."""

    chat_template = None
    context_size = 2048

    def __init__(self, text: str, then_wait: bool = False):
        self.text, self.then_wait = text, then_wait

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1

    def complete(self, prompt, max_tokens=256, temperature=0.0, stop=None, seed=None, cancel=None):
        for i in range(0, len(self.text), 4):
            yield self.text[i:i + 4]
        if self.then_wait:
            cancel.wait(600)


def make_lecture_profile(home, shared):
    """A profile with the transcribed reading of "Printing" and two Think Python chapters, indexed."""
    from lmgpa_desktop.core.library import library
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.capture.media_import import import_media

    ctx = open_app(home)
    source = import_media(ctx, shared / "audio" / "LJ001-0001_0032_concat_16k.flac").source
    assert ctx.jobs.run_now(ctx.jobs.submit("transcribe", {"source_id": source.id})).state == "done"
    book_job = ctx.jobs.run_now(library.queue_import(ctx, shared / "documents" / "pdf" / "thinkpython2_ch01-02.pdf"))
    assert book_job.state == "done"
    queued = [j for j in ctx.jobs.recent(100) if j.state == "queued" and j.kind == "index"]
    assert len(queued) == 2, "transcription and document import should each queue indexing"
    for job in queued:
        assert ctx.jobs.run_now(job.id).state == "done"
    book = sources_repo.get(ctx.db, book_job.result["source_id"])
    assert search_repo.chunk_count_of(ctx.db, source.id) >= 3 and search_repo.chunk_count_of(ctx.db, book.id) >= 10
    return ctx, source, book


def answer_area(body, question: str) -> list:
    """(text, format) of each fragment a chat view shows below the question (the answer area)."""
    doc = body.document()
    found = doc.find(question)
    assert not found.isNull(), question
    out = []
    block = found.block().next()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.text().strip():
                out.append((fragment.text(), fragment.charFormat()))
            it += 1
        block = block.next()
    return out


def assert_nothing_taken_back(body, states: list, stored, forbidden: tuple[str, ...] = ()) -> list[str]:
    """Each recorded state of an answer area held only the bold label, checked text that the stored answer begins
    with (never bold, none of `forbidden`), or a muted, readable progress line; returns the progress lines seen."""
    from PySide6.QtGui import QFont

    from lmgpa_desktop.ui.study.chat_answer_view import ANSWER_LABEL, MIN_CONTRAST, contrast

    text_color, base = body.palette().text().color(), body.palette().base().color()
    progress = []
    for state in states:
        answer = ""
        for text, fmt in state:
            assert not any(word in text for word in forbidden), state
            if fmt.fontItalic() and fmt.foreground().color() != text_color:
                progress.append(text)
                assert contrast(fmt.foreground().color(), base) >= MIN_CONTRAST  # muted, still readable
                continue
            assert fmt.fontWeight() <= QFont.Weight.Normal or text == ANSWER_LABEL, state  # never a bold draft
            if text != ANSWER_LABEL:
                answer += text
        # Nothing shown is taken back: what is shown begins the stored answer (blocks join with no line break).
        assert "".join(stored.content.split()).startswith("".join(answer.split())), (answer, stored.content)
    return progress
