"""Every importer meets hostile files (real files mutated, crafted bombs and escaping entries) and answers each with
an import or one clear error: never another exception, a hang, a write outside the profile or runaway memory.

Inputs run in a child process (fuzz_harness.Worker) with a memory and file-size limit and a time limit per input.
Hypothesis is derandomized (fixed examples, no database) so CI runs the same inputs every time; the longer,
randomized run is benchmarks/fuzz_importers.py."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import fuzz_inputs
from fuzz_harness import Worker, run_with_timeout

# Examples per target, sized so all targets together stay within about 90 s on 2 cores.
EXAMPLES = {"anki": 150, "anki_sql": 120, "document": 100, "image": 120, "audio": 40, "archive": 60}


def fuzz_settings(target: str):
    return settings(max_examples=EXAMPLES[target], derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


def check(worker: Worker, target: str, suffix: str, data: bytes, label: str = "") -> None:
    outcome = run_with_timeout(worker, target, data, suffix)
    assert not outcome.failed, f"{target} {label or suffix} ({len(data)} bytes): {outcome.status}\n{outcome.detail}"


def test_anki_packages_mutated(worker):
    @fuzz_settings("anki")
    @given(fuzz_inputs.mutations("anki"))
    def run(case):
        check(worker, "anki", *case)

    run()


def test_anki_collections_garbled(worker):
    @fuzz_settings("anki_sql")
    @given(fuzz_inputs.anki_collections())
    def run(case):
        check(worker, "anki", *case)

    run()


@pytest.mark.parametrize("label", [c[0] for c in fuzz_inputs.crafted_anki()])
def test_anki_crafted(worker, label):
    _, suffix, data = next(c for c in fuzz_inputs.crafted_anki() if c[0] == label)
    check(worker, "anki", suffix, data, label)


def test_documents_mutated(worker):
    @fuzz_settings("document")
    @given(fuzz_inputs.mutations("document"))
    def run(case):
        check(worker, "document", *case)

    run()


def test_images_mutated(worker):
    @fuzz_settings("image")
    @given(fuzz_inputs.mutations("image"))
    def run(case):
        check(worker, "image", *case)

    run()


def test_audio_mutated(worker):
    @fuzz_settings("audio")
    @given(fuzz_inputs.mutations("audio"))
    def run(case):
        check(worker, "audio", *case)

    run()


def test_import_all_archives_mutated(worker):
    @fuzz_settings("archive")
    @given(fuzz_inputs.mutations("archive"))
    def run(case):
        check(worker, "archive", *case)

    run()


@pytest.mark.parametrize("label", [c[0] for c in fuzz_inputs.crafted_documents()])
def test_documents_crafted(worker, label):
    _, suffix, data = next(c for c in fuzz_inputs.crafted_documents() if c[0] == label)
    check(worker, "image" if suffix in (".png", ".tif") else "document", suffix, data, label)
