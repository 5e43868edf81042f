"""GUI tests: database calls on the UI thread slower than a frame are listed at the end of the run (never failed)."""

# A statement on the UI thread freezes the window while it runs. Timing is reported, not asserted: wall-clock limits
# in unit tests are flaky on a busy machine, so this is a list to read, not a gate. Only statements that ui/ code
# asked for count (the test's own data set-up on the same thread is not the window freezing), each named by the
# innermost ui/ line on the stack.

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

from lmgpa_desktop.storage.database import watch_ui_thread

FRAME_S = 0.016
HEAD_CHARS = 60
UI = Path(__file__).resolve().parents[2] / "lmgpa_desktop" / "ui"
_slow: dict[tuple[str, str, str], list[float]] = defaultdict(list)  # (test, ui line, statement head) -> seconds


def _ui_line() -> str | None:
    """The innermost frame in lmgpa_desktop/ui on the stack, as path:line (None when ui/ did not ask)."""
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(UI):
            return f"{path.relative_to(UI.parent)}:{frame.f_lineno}"
        frame = frame.f_back
    return None


@pytest.fixture(autouse=True)
def _watch_ui_thread_database_calls(request):
    """Note every statement this test runs on the UI thread that takes longer than a frame."""
    test = request.node.nodeid

    def report(statement: str, seconds: float) -> None:
        where = _ui_line()
        if where is not None:
            _slow[test, where, " ".join(statement.split())[:HEAD_CHARS]].append(seconds)

    stop = watch_ui_thread(FRAME_S, report)
    yield
    stop()


def pytest_terminal_summary(terminalreporter) -> None:
    if not _slow:
        return
    terminalreporter.section(f"database calls on the UI thread over {FRAME_S * 1000:.0f} ms")
    for (test, where, head), times in sorted(_slow.items(), key=lambda kv: -max(kv[1])):
        count = f" (x{len(times)})" if len(times) > 1 else ""
        terminalreporter.write_line(f"{max(times) * 1000:7.1f} ms{count}  {test.rpartition('/')[2]}  {where}  {head}")


@pytest.fixture
def laptop_window(qtbot, ctx):
    """The real main window at 1024x700, the smallest laptop screen every page must fit."""
    from lmgpa_desktop.app import build_window

    win = build_window(ctx)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


@pytest.fixture
def started_runner(ctx):
    """A job runner whose workers run, stopped after the test."""
    from lmgpa_desktop.ui.kit.job_runner import JobRunner

    runner = JobRunner(ctx)
    runner.start()
    yield runner
    runner.stop()


@pytest.fixture
def review_page(qtbot, ctx, started_runner):
    """The Review page with its own running job runner."""
    from lmgpa_desktop.ui.study.review_page import ReviewPage

    page = ReviewPage(ctx, started_runner)
    qtbot.addWidget(page)
    page.resize(1100, 750)
    page.show()
    yield page
    page.ops.close()
