"""The persistent job queue: progress, cancel, failures, crash recovery with a really killed process."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest

from support import TESTS, lmgpa_cmd
from lmgpa_desktop.core.jobs import JobQueue
from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.workers import WorkerPool
from lmgpa_desktop.storage import jobs_repo


@pytest.fixture(autouse=True)
def test_job_kinds(monkeypatch):
    monkeypatch.setenv("LMGPA_JOB_MODULES", "job_kinds_for_tests")
    monkeypatch.setenv("PYTHONPATH", str(TESTS) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def test_progress_is_reported_and_persisted(ctx):
    seen: list[Progress] = []
    job_id = ctx.jobs.submit("test.count", {"steps": 4}, title="Count")
    final = ctx.jobs.run_now(job_id, lambda e, _j, r: seen.append(r) if e == "progress" else None)
    assert final.state == "done" and final.result == {"resumed_from": 0, "attempt": 1}
    assert [p.done for p in seen] == [0, 1, 2, 3, 4]
    assert final.progress_done == final.progress_total == 4
    assert final.message == "counted"
    history = [m for _, _, m in jobs_repo.log_lines(ctx.db, job_id)]
    assert history[0] == "queued" and history[-1] == "done"


def test_cancel_a_running_job_from_another_thread(ctx):
    job_id = ctx.jobs.submit("test.count", {"steps": 1000, "delay": 0.01})
    started = threading.Event()

    def listener(event, _job, report):
        if event == "progress" and report.done >= 3:
            started.set()

    result = {}
    thread = threading.Thread(target=lambda: result.update(job=ctx.jobs.run_now(job_id, listener)))
    thread.start()
    assert started.wait(30)
    ctx.jobs.cancel(job_id)
    thread.join(30)
    assert result["job"].state == "cancelled"
    assert result["job"].progress_done < 1000


def test_cancel_requested_by_another_process_is_seen_through_the_database(ctx):
    job_id = ctx.jobs.submit("test.count", {"steps": 1000, "delay": 0.01})
    other = JobQueue(ctx.db)  # stands for a second app instance sharing the file
    thread = threading.Thread(target=lambda: ctx.jobs.run_now(job_id))
    thread.start()
    _wait_for(lambda: ctx.jobs.get(job_id).progress_done >= 3)
    other.cancel(job_id)
    thread.join(30)
    assert ctx.jobs.get(job_id).state == "cancelled"


def test_cancel_a_queued_job(ctx):
    job_id = ctx.jobs.submit("test.count", {"steps": 2})
    assert ctx.jobs.cancel(job_id) == "cancelled"
    with pytest.raises(ValueError, match="not queued"):
        ctx.jobs.run_now(job_id)


def test_cancelling_a_job_that_never_started_reports_its_end(ctx):
    # no worker runs it, so the pool itself says it finished (a page waiting for the end would wait forever)
    events = []
    pool = WorkerPool(ctx.jobs, lambda event, job, report: events.append((event, job.id, job.state)))
    job_id = pool.submit("test.count", {"steps": 2})  # the pool is not started: the job stays queued
    pool.cancel(job_id)
    assert events == [("finished", job_id, "cancelled")]


def test_student_facing_failure_and_unexpected_bug(ctx):
    failed = ctx.jobs.run_now(ctx.jobs.submit("test.fail", {}))
    assert failed.state == "failed" and failed.error == "the file is not a valid recording"
    bug = ctx.jobs.run_now(ctx.jobs.submit("test.fail", {"bug": True}))
    assert bug.state == "failed" and bug.error == "ZeroDivisionError: division by zero"
    ctx.jobs.retry(bug.id)
    assert ctx.jobs.get(bug.id).state == "queued" and ctx.jobs.get(bug.id).attempts == 0


def test_unknown_kind_is_rejected(ctx):
    with pytest.raises(ValueError, match="unknown job kind"):
        ctx.jobs.submit("no.such.kind")


def _start_worker_process(home, job_id):
    return subprocess.Popen(lmgpa_cmd("--home", str(home), "jobs", "run", str(job_id)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when_running(ctx, proc, job_id, min_done=2):
    _wait_for(lambda: (j := ctx.jobs.get(job_id)).state == "running" and j.progress_done >= min_done)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)


def test_job_of_a_killed_worker_process_is_requeued_and_resumes_from_its_checkpoint(ctx, home):
    job_id = ctx.jobs.submit("test.count", {"steps": 40, "delay": 0.05})
    proc = _start_worker_process(home, job_id)
    _kill_when_running(ctx, proc, job_id)
    stuck = ctx.jobs.get(job_id)
    assert stuck.state == "running" and stuck.attempts == 1  # what a crash leaves behind
    assert ctx.jobs.recover_interrupted() == [(job_id, "queued")]
    final = ctx.jobs.run_now(job_id)
    assert final.state == "done"
    assert final.result["attempt"] == 2 and final.result["resumed_from"] >= 2  # did not start over
    assert any("stopped" in m for _, _, m in jobs_repo.log_lines(ctx.db, job_id))


def test_repeated_crashes_mark_the_job_failed_with_the_reason(ctx, home):
    job_id = ctx.jobs.submit("test.count", {"steps": 400, "delay": 0.05})  # max_attempts=2
    for attempt in (1, 2):
        proc = _start_worker_process(home, job_id)
        _kill_when_running(ctx, proc, job_id, min_done=attempt * 3)
        outcome = ctx.jobs.recover_interrupted()
    assert outcome == [(job_id, "failed")]
    job = ctx.jobs.get(job_id)
    assert job.state == "failed" and "interrupted 2 times" in job.error


def test_running_job_of_a_live_process_is_left_alone(ctx):
    job_id = ctx.jobs.submit("test.count", {"steps": 200, "delay": 0.02})
    thread = threading.Thread(target=lambda: ctx.jobs.run_now(job_id))
    thread.start()
    _wait_for(lambda: ctx.jobs.get(job_id).progress_done >= 1)
    assert ctx.jobs.recover_interrupted() == []
    ctx.jobs.cancel(job_id)
    thread.join(30)


def test_worker_pool_runs_queues_and_requeues_running_work_on_shutdown(ctx):
    events = []
    pool = WorkerPool(ctx.jobs, lambda e, j, r: events.append((e, j if isinstance(j, int) else j.id)))
    pool.start()
    quick = pool.submit("test.count", {"steps": 3})
    _wait_for(lambda: ctx.jobs.get(quick).state == "done")
    slow = pool.submit("test.count", {"steps": 500, "delay": 0.02})
    _wait_for(lambda: ctx.jobs.get(slow).progress_done >= 2)
    pool.stop()
    job = ctx.jobs.get(slow)
    assert job.state == "queued" and job.attempts == 0  # resumes at next start, attempt refunded
    assert ("finished", quick) in events and ("started", slow) in events


def test_a_transcription_given_up_after_crashes_says_so_on_its_source(ctx, shared):
    """A job failed for repeated crashes never runs its own error handling: the kind's on_give_up marks its rows."""
    import socket

    from lmgpa_desktop.core.capture.media_import import import_media
    from lmgpa_desktop.storage import sources_repo, transcripts_repo

    source = import_media(ctx, shared / "audio" / "jfk.flac").source
    job_id = ctx.jobs.submit("transcribe", {"source_id": source.id})
    transcript_id = transcripts_repo.start(ctx.db, source.id, "final", "tiny.en", None)
    transcripts_repo.update_info(ctx.db, transcript_id, status="running")
    sources_repo.update(ctx.db, source.id, status="processing")
    dead = f"{socket.gethostname()}:{2**22 + 12345}:0"  # a pid above pid_max: that process is surely gone
    for _ in range(3):  # the kind's max_attempts: each claim is one attempt a crash ended
        jobs_repo.save_checkpoint(ctx.db, job_id, {"transcript_id": transcript_id, "committed_s": 0.0})
        jobs_repo.claim(ctx.db, dead, job_id=job_id)
        if ctx.jobs.get(job_id).attempts < 3:
            jobs_repo.requeue(ctx.db, job_id, "the process stopped")
    assert ctx.jobs.recover_interrupted() == [(job_id, "failed")]
    src = sources_repo.get(ctx.db, source.id)
    assert src.status == "failed" and "interrupted 3 times" in src.error
    assert transcripts_repo.get(ctx.db, transcript_id).status == "failed"
