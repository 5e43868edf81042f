"""Grammar-constrained sampling at close to free speed for llama-cpp-python; imported only by engines/llm.py."""

from __future__ import annotations

import ctypes
import math

import llama_cpp
import numpy as np
from llama_cpp import Llama

from lmgpa_desktop.engines.errors import ModelError

# The layout of llama_token_data, so numpy can fill the candidate array without a Python loop.
_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)
assert _TOKEN_DATA.itemsize == ctypes.sizeof(llama_cpp.llama_token_data)


class LazyGrammarSampler:
    """llama.cpp's common sampler: the grammar checks the freely sampled token, masks the vocabulary only on a miss."""

    def __init__(self, chain, llm: Llama, grammar):
        # chain: llama-cpp-python's own sampler chain built without the grammar (penalties, then greedy or
        # top-k ... dist), so every other setting is exactly what create_completion would use.
        self._chain = chain
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8"))
        if not self._grammar:
            raise ModelError("the grammar could not be parsed (llama.cpp's log has the reason)")
        self._n_vocab = llm._n_vocab
        self._ids = np.arange(self._n_vocab, dtype=np.intc)
        self._data = (llama_cpp.llama_token_data * self._n_vocab)()
        self._view = np.frombuffer(self._data, dtype=_TOKEN_DATA)
        self._all = llama_cpp.llama_token_data_array(data=self._data, size=self._n_vocab, selected=-1, sorted=False)
        self._one = (llama_cpp.llama_token_data * 1)()
        self._single = llama_cpp.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        self.free = self.masked = 0  # tokens taken as sampled / resampled under the full mask (for tests)

    def _candidates(self, ctx, idx: int):
        """Every token with its logit at output idx, fresh (the chain reorders and truncates the array in place)."""
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, idx), shape=(self._n_vocab,))
        self._view["id"] = self._ids
        self._view["logit"] = logits
        self._view["p"] = 0.0
        self._all.data = self._data
        self._all.size, self._all.selected, self._all.sorted = self._n_vocab, -1, False
        return ctypes.byref(self._all)

    def _allowed(self, token: int) -> bool:
        """Whether the grammar accepts token next: one candidate instead of the whole vocabulary."""
        self._one[0].id, self._one[0].logit, self._one[0].p = token, 1.0, 0.0
        self._single.size, self._single.selected, self._single.sorted = 1, -1, False
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(self._single))
        return self._one[0].logit != -math.inf

    def sample(self, ctx, idx: int = -1) -> int:
        """The next token (Llama.sample calls this with its LlamaContext); accepted into grammar and chain."""
        chain = self._chain.sampler
        cur = self._candidates(ctx.ctx, idx)
        llama_cpp.llama_sampler_apply(chain, cur)
        token = self._all.data[self._all.selected].id
        if self._allowed(token):
            self.free += 1
        else:
            self.masked += 1
            # Mask the vocabulary, then run the chain again on fresh logits. The grammar only sets logits to
            # -inf, which the penalties keep at -inf, so grammar-then-penalties equals llama-cpp-python's
            # penalties-then-grammar; with greedy decoding the token is exactly the full-mask path's. When the
            # free choice was allowed it is already the argmax of the masked logits (first index on ties too).
            cur = self._candidates(ctx.ctx, idx)
            llama_cpp.llama_sampler_apply(self._grammar, cur)
            llama_cpp.llama_sampler_apply(chain, cur)
            chosen = self._all.data[self._all.selected]
            if chosen.logit == -math.inf:
                # Accepting a token the grammar rejects aborts the process inside llama.cpp.
                raise ModelError("the grammar allows no token here (it cannot be completed with this vocabulary)")
            token = chosen.id
        llama_cpp.llama_sampler_accept(self._grammar, token)
        llama_cpp.llama_sampler_accept(chain, token)
        return token

    def close(self) -> None:
        """Free the native grammar sampler (the chain frees itself)."""
        if getattr(self, "_grammar", None):  # also when __init__ failed half-way
            llama_cpp.llama_sampler_free(self._grammar)
            self._grammar = None

    def __del__(self):
        self.close()


class GrammarLlama(Llama):
    """llama_cpp.Llama whose grammar= (completion and chat) samples lazily; everything else is the library's."""

    def _init_sampler(self, *args, grammar=None, **kwargs):
        # Llama.generate builds its sampler here, once per generation, and Llama.sample only calls .sample(ctx, idx)
        # on it; the private hook is stable within the pinned llama-cpp-python version.
        chain = super()._init_sampler(*args, grammar=None, **kwargs)
        return chain if grammar is None else LazyGrammarSampler(chain, self, grammar)
