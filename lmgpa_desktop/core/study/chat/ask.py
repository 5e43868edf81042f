"""Grounded chat: answers from the student's own library, streamed, cited, and kept in conversations."""

# Small local models invent when left alone, so grounding is decided around the model, not by it:
# retrieval decides whether the library has anything relevant before any generation; only the best few
# passages go into the prompt, numbered [1]..[n]; the answer is then checked sentence by sentence while it is
# written, and a sentence reaches the student only once a passage supports it (cited, its names and numbers found
# there). A user test saw 30 seconds of invented text streamed and then replaced by quotes after it had been read:
# holding each sentence until it is checked means nothing shown is ever taken back. While nothing can be shown yet,
# "stage" events say what is happening (finding passages, the model reading them, writing), so a student waiting
# for checked text is not left looking at an empty answer.

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.library.search import Scope
from lmgpa_desktop.core.study.chat import check as chat_check
from lmgpa_desktop.core.study.chat import prompt as chat_prompt
from lmgpa_desktop.core.study.chat.prompt import Plan, build_prompt
from lmgpa_desktop.core.study.chat.retrieval import is_follow_up, relevant_passages
from lmgpa_desktop.core.study.chat.conversations import (DEFAULT_TITLE, Citation, Message, conversation, messages,
                                                    scope_label, scope_of, scope_to_dict, store_answer, title_from)
from lmgpa_desktop.core.words import content_words
from lmgpa_desktop.storage import chat_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

MAX_PASSAGES = 3  # passages put in the prompt: more only dilutes a small model's attention
REGENERATE_TEMPERATURE = 0.3  # measured: at 0.6 Gemma 270M wrote unsupported answers 2 times in 12, at 0.3 none

NOT_FOUND = ("I couldn't find anything about this in {where}, so I won't guess. "
             "Try other words, or add material that covers it.")
# What is happening, for the student, while an answer is on its way (each a "stage" event's text).
FINDING = "Finding what {where} says about your question…"
READING = "Reading {count} from {where}…"
WRITING = "Writing. Each sentence appears only once {where} supports it…"
HELD_SO_FAR = " {n} left out so far: not found there."


@dataclass(frozen=True)
class ChatEvent:
    """One step of an answer: what is happening ("stage", text for the student), a checked piece of the answer
    ("token"), or the finished, stored message ("done", always last)."""

    kind: str
    text: str = ""
    message: Message | None = None
    stopped: bool = False


def ask(ctx: AppContext, conversation_id: int, question: str, scope: Scope | None = None,
        cancel: threading.Event | None = None) -> Iterator[ChatEvent]:
    """Store the question, stream a grounded answer, store it; stops when cancel is set or the caller closes."""
    question = question.strip()
    if not question:
        raise UserError("type a question first")
    conv = conversation(ctx, conversation_id)
    if scope is not None and scope_to_dict(scope) != conv.scope:
        conv = chat_repo.update_conversation(ctx.db, conv.id, scope=scope_to_dict(scope))
    history = messages(ctx, conv.id)
    chat_repo.add_message(ctx.db, conv.id, "user", question)
    activity.record(ctx, "chat", course_id=scope_of(conv).course_id, ref_id=conv.id)
    if conv.title == DEFAULT_TITLE and not history:
        chat_repo.update_conversation(ctx.db, conv.id, title=title_from(question))
    return _answer_and_store(ctx, conv.id, question, history, scope_of(conv), cancel, 0.0, None)


def regenerate(ctx: AppContext, conversation_id: int, scope: Scope | None = None,
               cancel: threading.Event | None = None) -> Iterator[ChatEvent]:
    """Answer the last question again (sampled, so the wording differs), replacing the previous answer."""
    conv = conversation(ctx, conversation_id)
    if scope is not None and scope_to_dict(scope) != conv.scope:
        conv = chat_repo.update_conversation(ctx.db, conv.id, scope=scope_to_dict(scope))
    history = messages(ctx, conv.id)
    replace = bool(history) and history[-1].role == "assistant"
    if replace:
        history = history[:-1]
    if not history or history[-1].role != "user":
        raise UserError("there is no question to answer again")
    return _answer_and_store(ctx, conv.id, history[-1].content, history[:-1], scope_of(conv), cancel,
                             REGENERATE_TEMPERATURE, random.randrange(1, 2**31), replace)


def answer(ctx: AppContext, question: str, scope: Scope | None = None,
           cancel: threading.Event | None = None) -> Iterator[ChatEvent]:
    """A one-off grounded answer that is not kept in any conversation (the command line uses this)."""
    question = question.strip()
    if not question:
        raise UserError("type a question first")
    return _answer_and_store(ctx, None, question, [], scope or Scope(), cancel, 0.0, None)


def _answer_and_store(ctx: AppContext, conversation_id: int | None, question: str, history: list[Message],
                      scope: Scope, cancel: threading.Event | None, temperature: float, seed: int | None,
                      replace: bool = False) -> Iterator[ChatEvent]:
    """Plan, stream checked sentences, store; a stopped answer keeps the sentences already shown."""
    where = scope_label(ctx, scope)

    def store(content: str, cites: list[Citation]) -> Message:
        if replace:  # the old answer gives way only once there is a new one: a stopped regenerate loses nothing
            chat_repo.delete_last_assistant(ctx.db, conversation_id)
        return store_answer(ctx, conversation_id, content, cites)

    yield ChatEvent("stage", FINDING.format(where=where))
    plan = _plan(ctx, question, history, scope, where)
    if not plan.passages:
        text = NOT_FOUND.format(where=plan.where)
        yield ChatEvent("token", text)
        yield ChatEvent("done", message=store(text, []))
        return
    count = "1 passage" if len(plan.passages) == 1 else f"{len(plan.passages)} passages"
    yield ChatEvent("stage", READING.format(count=count, where=where))  # the model evaluates the prompt meanwhile
    checker = chat_check.Checker(plan)
    pieces = _generate(ctx, plan, temperature, seed, cancel)
    finished = False
    writing = False
    try:
        for piece in pieces:
            held = len(checker.held)
            if not writing and piece.strip():
                writing = True
                yield ChatEvent("stage", WRITING.format(where=where))
            for text in checker.feed(piece):
                yield ChatEvent("token", text)
            if len(checker.held) > held:  # a sentence was written and left out: say so, the wait is not idle
                yield ChatEvent("stage", WRITING.format(where=where) + HELD_SO_FAR.format(n=len(checker.held)))
        stopped = cancel is not None and cancel.is_set()
        finished = True
        for text in checker.finish(stopped):  # the last sentence completes only when the stream ends
            yield ChatEvent("token", text)
    except GeneratorExit:  # the caller walked away: keep the sentences it was shown
        pieces.close()
        if not finished:
            checker.finish(stopped=True)
        content, cites = checker.result()
        if content:
            store(content, cites)
        raise
    content, cites = checker.result()
    if stopped and not content:
        yield ChatEvent("done", stopped=True)
        return
    yield ChatEvent("done", message=store(content, cites), stopped=stopped)


def _plan(ctx: AppContext, question: str, history: list[Message], scope: Scope, where: str) -> Plan:
    # The topic is the latest earlier question that stands on its own ("tell me more" does not).
    topic = next((m.content for m in reversed(history) if m.role == "user" and not is_follow_up(m.content)), None)
    follow_up = topic is not None and is_follow_up(question)
    passages = []
    if follow_up:
        passages = relevant_passages(ctx, f"{topic} {question}", scope)
        own = content_words(question)
        if own:  # "what is photosynthesis?" after a question on printing is not about printing
            passages = [p for p in passages if own & content_words(p.hit.text)]
        follow_up = bool(passages)
    passages = passages or relevant_passages(ctx, question, scope)
    plan = Plan(passages[:MAX_PASSAGES], where, question)
    if plan.passages:
        # Earlier turns only for follow-ups: a small model copies the style and content of any turn it sees.
        build_prompt(ctx.models.llm(), plan, question, history if follow_up else [])
    return plan


def _generate(ctx: AppContext, plan: Plan, temperature: float, seed: int | None,
              cancel: threading.Event | None) -> Iterator[str]:
    engine = ctx.models.llm()
    if plan.messages is not None:
        return engine.chat(plan.messages, max_tokens=plan.max_tokens, temperature=temperature,
                           stop=chat_prompt.CHAT_STOPS, repeat_penalty=chat_prompt.CHAT_REPEAT_PENALTY, seed=seed,
                           cancel=cancel)
    return engine.complete(plan.prompt, max_tokens=plan.max_tokens, temperature=temperature,
                           stop=chat_prompt.BASE_STOPS, seed=seed, cancel=cancel)
