"""Build the all-MiniLM-L6-v2 ONNX graph from model.safetensors; the only module importing onnx and safetensors."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

from lmgpa_desktop.engines.errors import ModelError

# Bumped whenever the graph changes, so an artefact says which builder made it.
GRAPH_VERSION = "1"
OPSET = 17  # the first opset with LayerNormalization
# IR 8 is the oldest IR that carries opset 17; pinning it keeps the bytes independent of
# the installed onnx version and the file loadable by older onnxruntime builds.
IR_VERSION = 8
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "sentence_embedding"


def build_onnx(model_dir: Path, out_path: Path) -> Path:
    """Write the sentence-embedding graph for model_dir to out_path atomically; return out_path."""
    model_dir, out_path = Path(model_dir), Path(out_path)
    if not model_dir.is_dir():
        raise ModelError(f"Embedding model folder is missing: {model_dir}")
    config = _config(model_dir / "config.json")
    weights_path = model_dir / "model.safetensors"
    weights = _weights(weights_path)
    try:
        model = _model(config, weights)
    except KeyError as exc:
        raise ModelError(f"Embedding weights lack tensor {exc}: {weights_path}") from None
    onnx.checker.check_model(model)
    # Deterministic serialisation: the same weights always give the same bytes.
    data = model.SerializeToString(deterministic=True)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # A temp file in the same folder makes the rename atomic, so readers (or a concurrent
    # build) never see a partial file.
    fd, tmp = tempfile.mkstemp(prefix=out_path.name + ".", suffix=".tmp", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make the cache file unlike its peers
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path


def _config(path: Path) -> dict:
    """Read config.json and check it describes what the graph below implements."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"Embedding model config is missing: {path}") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"Embedding model config is unreadable: {path} ({exc})") from exc
    # The graph hard-codes BERT with absolute positions and exact (erf) GELU.
    if (
        config.get("model_type") != "bert"
        or config.get("hidden_act") != "gelu"
        or config.get("position_embedding_type", "absolute") != "absolute"
    ):
        raise ModelError(f"Not a BERT encoder with exact GELU: {path}")
    return config


def _weights(path: Path) -> dict[str, np.ndarray]:
    """Load model.safetensors as numpy arrays."""
    if not path.is_file():
        raise ModelError(f"Embedding model weights are missing: {path}")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for bad headers/sizes
        raise ModelError(f"Embedding model weights are corrupt: {path} ({exc})") from exc


class _Graph:
    """Collects nodes and initializers; every node has one output named after the node."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: dict[str, onnx.TensorProto] = {}

    def const(self, name: str, value) -> str:
        """Register a constant once (later calls with the same name reuse it)."""
        if name not in self.inits:
            array = np.ascontiguousarray(value)
            self.inits[name] = numpy_helper.from_array(array, name)
        return name

    def i64(self, name: str, values: list[int]) -> str:
        """An int64 1-D constant (shapes, axes, slice bounds)."""
        return self.const(name, np.array(values, dtype=np.int64))

    def f32(self, name: str, value: float) -> str:
        """A float32 scalar constant."""
        return self.const(name, np.array(value, dtype=np.float32))

    def param(self, name: str) -> str:
        """A tensor from model.safetensors under its own name."""
        return self.const(name, self.weights[name])

    def op(self, op_type: str, inputs: list[str], name: str, **attrs) -> str:
        """Append a node and return the name of its output."""
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name

    def linear(self, x: str, prefix: str, name: str, scale: float = 1.0) -> str:
        """x @ W^T + b, with W stored transposed so no Transpose runs at inference."""
        w = self.weights[f"{prefix}.weight"].T * np.float32(scale)
        b = self.weights[f"{prefix}.bias"] * np.float32(scale)
        mm = self.op("MatMul", [x, self.const(f"{prefix}.weight_t", w.astype(np.float32))], f"{name}/matmul")
        return self.op("Add", [mm, self.const(f"{prefix}.bias", b.astype(np.float32))], f"{name}/bias")

    def heads(self, x: str, prefix: str, name: str, shape: str, perm: list[int], scale: float = 1.0) -> str:
        """A Q, K or V projection split into heads and transposed by perm."""
        y = self.op("Reshape", [self.linear(x, prefix, name, scale), shape], f"{name}/heads")
        return self.op("Transpose", [y], f"{name}/transposed", perm=perm)

    def layer_norm(self, x: str, prefix: str, name: str, eps: float) -> str:
        """LayerNormalization over the hidden axis."""
        inputs = [x, self.param(f"{prefix}.weight"), self.param(f"{prefix}.bias")]
        return self.op("LayerNormalization", inputs, name, axis=-1, epsilon=eps)


def _model(config: dict, weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    """BertModel encoder + mean pooling + L2 normalisation as one graph."""
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    eps = float(config["layer_norm_eps"])
    head_dim = hidden // heads
    g = _Graph(weights)

    # Embeddings: word + position (the first seq_len rows of the table) + token type.
    word = g.op("Gather", [g.param("embeddings.word_embeddings.weight"), "input_ids"], "emb/word")
    seq_len = g.op("Slice", [g.op("Shape", ["input_ids"], "emb/shape"), g.i64("c/1", [1]), g.i64("c/2", [2])],
                   "emb/seq_len")
    pos = g.op("Slice", [g.param("embeddings.position_embeddings.weight"), g.i64("c/0", [0]), seq_len],
               "emb/position")
    ttype = g.op("Gather", [g.param("embeddings.token_type_embeddings.weight"), "token_type_ids"], "emb/type")
    emb = g.op("Add", [g.op("Add", [word, pos], "emb/word+position"), ttype], "emb/sum")
    x = g.layer_norm(emb, "embeddings.LayerNorm", "emb/norm", eps)

    # Additive attention bias, 0 for tokens and float32 min for padding as in transformers,
    # shaped [batch, 1, 1, seq] to broadcast over heads and query positions.
    mask = g.op("Cast", ["attention_mask"], "mask/float", to=TensorProto.FLOAT)
    padding = g.op("Sub", [g.f32("c/one", 1.0), mask], "mask/padding")
    bias = g.op("Mul", [padding, g.f32("c/float_min", float(np.finfo(np.float32).min))], "mask/bias")
    bias = g.op("Unsqueeze", [bias, g.i64("c/axes_1_2", [1, 2])], "mask/bias4d")

    split_heads = g.i64("c/split_heads", [0, 0, heads, head_dim])
    merge_heads = g.i64("c/merge_heads", [0, 0, hidden])
    # 1/sqrt(head_dim) is folded into the query weights, saving a Mul on the [b, h, s, s]
    # scores; the change is at float32 rounding level (cosine 1.000000 vs reference).
    q_scale = 1.0 / math.sqrt(head_dim)
    for i in range(int(config["num_hidden_layers"])):
        p, n = f"encoder.layer.{i}", f"layer{i}"
        q = g.heads(x, f"{p}.attention.self.query", f"{n}/query", split_heads, [0, 2, 1, 3], q_scale)
        k = g.heads(x, f"{p}.attention.self.key", f"{n}/key", split_heads, [0, 2, 3, 1])  # pre-transposed
        v = g.heads(x, f"{p}.attention.self.value", f"{n}/value", split_heads, [0, 2, 1, 3])
        scores = g.op("Add", [g.op("MatMul", [q, k], f"{n}/scores"), bias], f"{n}/scores_masked")
        probs = g.op("Softmax", [scores], f"{n}/probs", axis=-1)
        ctx = g.op("MatMul", [probs, v], f"{n}/ctx")
        ctx = g.op("Transpose", [ctx], f"{n}/ctx/transposed", perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, merge_heads], f"{n}/ctx/merged")
        att = g.linear(ctx, f"{p}.attention.output.dense", f"{n}/att_out")
        att = g.op("Add", [att, x], f"{n}/att_res")
        x = g.layer_norm(att, f"{p}.attention.output.LayerNorm", f"{n}/att_norm", eps)

        # Exact GELU, 0.5 * h * (1 + erf(h / sqrt 2)); onnxruntime fuses it (with the bias
        # Add) into one BiasGelu kernel.
        h = g.linear(x, f"{p}.intermediate.dense", f"{n}/ffn_in")
        erf = g.op("Div", [h, g.f32("c/sqrt2", math.sqrt(2.0))], f"{n}/gelu/div")
        erf = g.op("Erf", [erf], f"{n}/gelu/erf")
        gelu = g.op("Mul", [h, g.op("Add", [erf, g.f32("c/one", 1.0)], f"{n}/gelu/add")], f"{n}/gelu/mul")
        gelu = g.op("Mul", [gelu, g.f32("c/half", 0.5)], f"{n}/gelu")
        out = g.linear(gelu, f"{p}.output.dense", f"{n}/ffn_out")
        out = g.op("Add", [out, x], f"{n}/ffn_res")
        x = g.layer_norm(out, f"{p}.output.LayerNorm", f"{n}/ffn_norm", eps)

    # Mean pooling over real tokens, then L2 normalisation, with sentence-transformers'
    # clamps (1e-9 on the token count, 1e-12 on the norm). Doing it in the graph returns
    # [batch, 384] instead of copying [batch, seq, 384] out to numpy.
    mask3 = g.op("Unsqueeze", [mask, g.i64("c/axes_2", [2])], "pool/mask")
    masked = g.op("Mul", [x, mask3], "pool/masked")
    summed = g.op("ReduceSum", [masked, g.i64("c/axes_1", [1])], "pool/sum", keepdims=0)
    count = g.op("ReduceSum", [mask3, g.i64("c/axes_1", [1])], "pool/count", keepdims=0)
    count = g.op("Max", [count, g.f32("c/min_count", 1e-9)], "pool/count_clamped")
    mean = g.op("Div", [summed, count], "pool/mean")
    norm = g.op("ReduceL2", [mean], "norm/l2", axes=[1], keepdims=1)
    norm = g.op("Max", [norm, g.f32("c/min_norm", 1e-12)], "norm/l2_clamped")
    g.nodes.append(helper.make_node("Div", [mean, norm], [OUTPUT], name="norm/div"))

    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"]) for name in INPUTS],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", hidden])],
        initializer=list(g.inits.values()),
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="lmgpa_desktop.engines.embed_export",
        producer_version=GRAPH_VERSION,
        ir_version=IR_VERSION,
    )
    helper.set_model_props(model, {"graph_version": GRAPH_VERSION, "pooling": "mean, L2-normalised"})
    return model
