"""Study → Practice tests, the result of a sitting: the score, each answer to look at again, overruling a grade."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.study import practice
from lmgpa_desktop.ui.study.common import location, message_label, percent, section_title


def typed(question) -> bool:
    """Whether a question is answered by typing (its grade has a reason the student may overrule)."""
    return question.kind not in ("mcq", "tf") or not question.choices


class PracticeResult:
    """The result view of PracticePanel (a mixin: it uses the panel's ctx, stack, take and back_to_list)."""

    def _result_view(self) -> QWidget:
        self.score_label = QLabel("")
        self.score_label.setObjectName("pageTitle")
        self.status = message_label()
        self.wrong = QWidget()
        self.wrong_layout = QVBoxLayout(self.wrong)
        self.wrong_layout.addStretch(1)
        self.result_scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.wrong)
        self.again_button = QPushButton("Take it again")
        self.again_button.clicked.connect(lambda: self.take(self.result.test.id, self.result.test.time_limit_s,
                                                            self.one_at_a_time.isChecked()))
        self.back_button = QPushButton("Back to the tests")
        self.back_button.clicked.connect(self.back_to_list)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.again_button)
        bar.addWidget(self.back_button)
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.addWidget(self.score_label)
        layout.addWidget(self.status)
        layout.addWidget(section_title("What to look at again, and why each typed answer was graded as it was"))
        layout.addWidget(scroll, 1)
        layout.addLayout(bar)
        return view

    def show_result(self, attempt_id: int) -> None:
        """Show a past attempt's result."""
        self._show_result(practice.result(self.ctx, attempt_id), "")

    def _show_result(self, result, note: str) -> None:
        self.result = result
        self.stack.setCurrentIndex(2)
        waiting = [i for i in result.items if i.answer is not None and i.answer.correct is None]
        self.score_label.setText(f"Score: {percent(result.score, result.max_score)}"
                                 + (f" so far ({len(waiting)} being checked)" if waiting else ""))
        took = f" in {clock(result.elapsed_s)}" if result.elapsed_s is not None else ""
        self.status.setText(note or f"{result.test.title}: {len(result.items) - len(result.wrong)} of "
                                    f"{len(result.items)} right{took}.")
        while self.wrong_layout.count() > 1:
            item = self.wrong_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        wrong = [i for i in result.wrong if not (i.answer is not None and i.answer.correct is None)]
        if not wrong and not waiting:
            self.wrong_layout.insertWidget(0, QLabel("Everything right. Well done!"))
        number = {i.question.id: n for n, i in enumerate(result.items, 1)}
        # Typed answers that were accepted are listed too, so a grade the student disagrees with can be overruled.
        accepted = [i for i in result.items if i.correct and typed(i.question)]
        for n, item in enumerate(wrong + accepted):
            self.wrong_layout.insertWidget(self.wrong_layout.count() - 1,
                                           self._answer_box(number[item.question.id], item))
        self.again_button.setEnabled(result.test.status == "ready")
        # The answers are made after the closing buttons, so Tab reached "Take it again" before any "Open the
        # source": in reading order instead, each answer's buttons, then the closing ones.
        chain = [self.result_scroll, *self.answer_buttons(), self.again_button, self.back_button]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)

    def _answer_box(self, number: int, item) -> QGroupBox:
        q, a = item.question, item.answer
        box = QGroupBox(f"Question {number}" + ("" if not item.correct else " (right)"))
        box.setObjectName("rightAnswer" if item.correct else "wrongAnswer")
        box.setProperty("question_id", q.id)
        layout = QVBoxLayout(box)
        prompt = message_label(q.prompt)
        font = prompt.font()
        font.setBold(True)
        prompt.setFont(font)
        layout.addWidget(prompt)
        given = a.response if a and a.response else "(no answer)"
        lines = [f"Your answer: {given}", f"Correct answer: {q.answer}"]
        if q.explanation and not item.correct:
            lines.append(f"Explanation: {q.explanation}")
        if a and a.reason and typed(q):
            lines.append(f"Why: {a.reason}")
        for text in lines:
            layout.addWidget(message_label(text))
        row = QHBoxLayout()
        if q.source_id is not None and not item.correct:
            where = item.location or location(self.ctx, q.source_id, q.source_page, q.source_start_s)
            button = QPushButton(f"Open the source: {where}")
            button.setProperty("location", (q.source_id, q.source_page, q.source_start_s))
            button.clicked.connect(lambda _=False, s=q.source_id, p=q.source_page, t=q.source_start_s:
                                   self.open_location.emit(s, p, t))
            row.addWidget(button)
        if a is not None and a.response and a.correct is not None and typed(q):
            mark = QPushButton("Mark wrong" if a.correct else "Mark correct")
            mark.setObjectName("overrule")
            mark.setToolTip("Overrule this grade: the score changes and the grader's reason stays visible")
            mark.clicked.connect(lambda _=False, answer_id=a.id, ok=not a.correct: self.overrule(answer_id, ok))
            row.addWidget(mark)
        if row.count():
            row.addStretch(1)
            layout.addLayout(row)
        return box

    def overrule(self, answer_id: int, correct: bool) -> None:
        """The student's own grade for a typed answer; the score shown and kept is updated."""
        if self.result is None:
            return
        try:
            practice.overrule(self.ctx, answer_id, correct)
        except UserError as exc:
            self.status.setText(str(exc))
            return
        self._show_result(practice.result(self.ctx, self.result.attempt.id),
                          f"You marked your answer {'correct' if correct else 'wrong'}; the score is updated.")

    def answer_boxes(self) -> list[QGroupBox]:
        """Every answer shown: the wrong ones, then the typed answers that were accepted."""
        return [self.wrong_layout.itemAt(i).widget() for i in range(self.wrong_layout.count())
                if isinstance(self.wrong_layout.itemAt(i).widget(), QGroupBox)]

    def answer_buttons(self) -> list[QPushButton]:
        """Each answer's buttons (open the source, overrule the grade), in reading order."""
        return [b for box in self.answer_boxes() for b in box.findChildren(QPushButton)]

    def wrong_boxes(self) -> list[QGroupBox]:
        """The wrong answers shown."""
        return [b for b in self.answer_boxes() if b.objectName() == "wrongAnswer"]

