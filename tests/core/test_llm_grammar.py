"""Lazy grammar sampling: the same text as llama-cpp-python's full-mask grammar path, and always in the grammar."""

from __future__ import annotations

import os
import re
import threading

import pytest
from llama_cpp import Llama, LlamaGrammar

from lmgpa_desktop.core.models.registry import DEFAULTS
from lmgpa_desktop.engines.errors import ModelError
from lmgpa_desktop.engines.llm import LlamaEngine

pytestmark = pytest.mark.slow

N_CTX = 2048
THREADS = os.cpu_count() or 1

FRUIT = ("apple", "banana", "cherry", "grape", "lemon", "mango", "pear", "plum")
WORDS_GRAMMAR = (f'root ::= fruit (", " fruit) (", " fruit)\n'
                 f'fruit ::= {" | ".join(f"{chr(34)}{w}{chr(34)}" for w in FRUIT)}\n')
WORDS_RE = rf"({'|'.join(FRUIT)})(, ({'|'.join(FRUIT)})){{2}}"
JSON_GRAMMAR = ('root ::= "{" ws "\\"term\\":" ws str "," ws "\\"definition\\":" ws str ws "}"\n'
                'str ::= "\\"" [^"\\\\\\n]{1,80} "\\""\n'
                'ws ::= " "?\n')
JSON_RE = r'\{ ?"term": ?"[^"\\\n]{1,80}", ?"definition": ?"[^"\\\n]{1,80}" ?\}'
QUESTION_GRAMMAR = 'root ::= ("What" | "Which" | "Who" | "When" | "Why" | "How") [^\\n?]{3,150} "?"\n'
QUESTION_RE = r"(What|Which|Who|When|Why|How)[^\n?]{3,150}\?"

PASSAGE = ("Photosynthesis is the process by which green plants use sunlight, water and carbon dioxide to make "
           "glucose. It takes place in the chloroplasts, which contain the green pigment chlorophyll. Oxygen is "
           "released as a by-product.")
COMPLETION_CASES = [  # (prompt, grammar, regex the whole output must match, max_tokens)
    ("Three fruits that are often red or purple:", WORDS_GRAMMAR, WORDS_RE, 16),
    ("My shopping list, three fruits:\n", WORDS_GRAMMAR, WORDS_RE, 16),
    ("The mitochondrion produces most of the cell's energy.\nA flashcard as JSON: ", JSON_GRAMMAR, JSON_RE, 80),
    (f"{PASSAGE}\nA quiz question about this passage:\n", QUESTION_GRAMMAR, QUESTION_RE, 48),
    ("Johannes Gutenberg printed with movable metal type around 1440. Question: ", QUESTION_GRAMMAR,
     QUESTION_RE, 48),
]
JSON_CASE = 2
CHAT_CASES = [
    ([{"role": "system", "content": "You write flashcards as one JSON object with a term and a definition."},
      {"role": "user", "content": PASSAGE}], JSON_GRAMMAR, JSON_RE, 80),
    ([{"role": "system", "content": "Write one quiz question about the passage. Reply with the question only."},
      {"role": "user", "content": PASSAGE}], QUESTION_GRAMMAR, QUESTION_RE, 48),
    ([{"role": "user", "content": "Name three fruits, comma separated, nothing else."}], WORDS_GRAMMAR, WORDS_RE, 16),
]


@pytest.fixture(scope="module")
def engines():
    """Our engine and a bare llama_cpp.Llama (llama.cpp's grammar over the whole vocabulary) on the default GGUF."""
    path = DEFAULTS["llm"]()
    ours = LlamaEngine(path, n_ctx=N_CTX, threads=THREADS)
    bare = Llama(model_path=str(path), n_ctx=N_CTX, n_threads=THREADS, verbose=False)
    yield ours, bare
    bare.close()


def _bare_complete(bare: Llama, prompt: str, grammar: str, max_tokens: int, **kw) -> str:
    stream = bare.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, repeat_penalty=1.1,
                                    stream=True, grammar=LlamaGrammar.from_string(grammar, verbose=False), **kw)
    return "".join(part["choices"][0]["text"] for part in stream)


@pytest.mark.parametrize("case", range(len(COMPLETION_CASES)))
def test_lazy_completion_equals_the_full_mask_and_parses(engines, case):
    ours, bare = engines
    prompt, grammar, pattern, max_tokens = COMPLETION_CASES[case]
    lazy = "".join(ours.complete(prompt, max_tokens=max_tokens, temperature=0.0, grammar=grammar))
    full = _bare_complete(bare, prompt, grammar, max_tokens)
    assert lazy == full
    assert re.fullmatch(pattern, lazy), lazy  # the whole grammar, then end of sequence (not cut by max_tokens)


@pytest.mark.parametrize("case", range(len(CHAT_CASES)))
def test_lazy_chat_equals_the_full_mask_and_parses(engines, case):
    ours, bare = engines
    if not ours.chat_template:
        pytest.skip(f"{ours.model_path.name} has no chat template")
    messages, grammar, pattern, max_tokens = CHAT_CASES[case]
    lazy = "".join(ours.chat(messages, grammar=grammar, max_tokens=max_tokens, temperature=0.0))
    stream = bare.create_chat_completion(messages, max_tokens=max_tokens, temperature=0.0, repeat_penalty=1.1,
                                         stream=True, grammar=LlamaGrammar.from_string(grammar, verbose=False))
    full = "".join(part["choices"][0]["delta"].get("content") or "" for part in stream)
    assert lazy == full
    assert re.fullmatch(pattern, lazy), lazy


def test_the_full_mask_runs_only_when_the_sampled_token_is_rejected(engines):
    ours, _ = engines
    prompt, grammar, pattern, max_tokens = COMPLETION_CASES[0]
    text = "".join(ours.complete(prompt, max_tokens=max_tokens, grammar=grammar))
    sampler = ours.llm._sampler  # the LazyGrammarSampler of the last generation
    assert re.fullmatch(pattern, text)
    # Rejected at least once (after the third fruit the model would go on; only end of sequence is allowed),
    # and most tokens are taken as sampled, without the full mask.
    assert sampler.masked >= 1 and sampler.free > sampler.masked


def test_a_finished_grammar_ends_the_generation(engines):
    ours, _ = engines
    pieces = list(ours.complete("Is the sky blue on a clear day? Answer yes or no:", max_tokens=40,
                                grammar='root ::= " yes" | " no"\n'))
    assert "".join(pieces) in (" yes", " no") and len(pieces) <= 2  # stopped at end of sequence, not max_tokens


@pytest.mark.parametrize("seed", [1])
def test_sampled_output_parses_at_a_high_temperature(engines, seed):
    ours, _ = engines
    prompt, grammar, pattern, max_tokens = COMPLETION_CASES[JSON_CASE]
    text = "".join(ours.complete(prompt, max_tokens=max_tokens, temperature=1.0, seed=seed, grammar=grammar))
    assert re.fullmatch(pattern, text), text


def test_stop_strings_still_cut_a_constrained_generation(engines):
    ours, bare = engines
    grammar = 'root ::= line "\\n" line "\\n"\nline ::= [A-Za-z ,]{3,60}\n'
    prompt = "Two short lines about the sea:\n"
    lazy = "".join(ours.complete(prompt, max_tokens=60, grammar=grammar, stop=["\n"]))
    assert lazy == _bare_complete(bare, prompt, grammar, 60, stop=["\n"])
    assert re.fullmatch(r"[A-Za-z ,]{3,60}", lazy), lazy


def test_cancel_stops_a_constrained_generation_and_frees_the_model(engines):
    ours, _ = engines
    prompt, grammar, _pattern, max_tokens = COMPLETION_CASES[JSON_CASE]
    cancel = threading.Event()
    pieces = []
    for piece in ours.complete(prompt, max_tokens=max_tokens, grammar=grammar, cancel=cancel):
        pieces.append(piece)
        cancel.set()
    assert len(pieces) == 1
    assert list(ours.complete(prompt, max_tokens=max_tokens, grammar=grammar, cancel=cancel)) == []
    stream = ours.complete(prompt, max_tokens=max_tokens, grammar=grammar)
    first = next(stream)
    stream.close()  # the caller walks away mid-grammar: the next generation starts a fresh grammar
    again = "".join(ours.complete(prompt, max_tokens=max_tokens, grammar=grammar))
    assert again.startswith(first) and re.fullmatch(JSON_RE, again)


def test_an_unparsable_grammar_is_a_model_error_and_the_engine_stays_usable(engines):
    ours, _ = engines
    with pytest.raises(ModelError, match="grammar"):
        list(ours.complete("Hello", max_tokens=4, grammar="root ::= ( \"a\"\n"))
    assert "".join(ours.complete("Is water wet? Answer yes or no:", max_tokens=4, grammar='root ::= " yes" | " no"\n'))
