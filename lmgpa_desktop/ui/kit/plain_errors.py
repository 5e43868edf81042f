"""Errors in the student's words: no command lines, no exception names, being offline said plainly."""

# Core messages are shared with the CLI, so some name a command ("or `lmgpa account signin`", "run ./run (or pip
# install …)"). A student in the window cannot act on those: pages pass errors through plain_message() first, which
# drops the command and says where in the app (or on the computer) the same thing is done.

from __future__ import annotations

import re

OFFLINE = "Can't reach the server: you may be offline, or its address is wrong. Try again once you're connected."
EXPIRED = "Your sign-in has expired: sign in again on the Account page."
SERVER_FAILED = "The server had a problem. Try again in a little while."
BY_KIND = {"ServerUnreachable": OFFLINE, "ConnectError": OFFLINE, "TimeoutException": OFFLINE,
           "ConnectionError": OFFLINE, "SessionExpired": EXPIRED, "ServerError": SERVER_FAILED}

_COMMAND = re.compile(r"`[^`]*`|(?<![\w/.-])(?:\./run|lmgpa|pip3?|apt-get|apt|sudo|python3?\s+-m)\b(?!-)[^;()`]*")
_DANGLING = re.compile(r"(?:[,:]?\s*\b(?:or|and|with|run|see|use|try|reinstall|install it)\b\s*:?\s*)+$", re.I)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+(?![^()]*\))")  # a sentence (or clause) break outside parentheses
# An instruction left after a colon once its command is gone ("…: install tesseract-ocr"): the advice replaces it.
_INSTRUCTION = re.compile(r"(?:^|:)\s*(?:install|reinstall|run|use|choose|see|try)\b[^:]*$", re.I)
# What to do in the app instead of a command, first match wins; {0} is the command's first argument.
IN_APP = (
    (re.compile(r"^lmgpa\s+models\s+(?:install|download)\b"), "Install it from Settings → Models."),
    (re.compile(r"^lmgpa\s+models\s+use\b"), "Choose another one in Settings → Models."),
    (re.compile(r"^lmgpa\s+models\b"), "Settings → Models lists the models you can install."),
    (re.compile(r"^(?:sudo\s+)?apt(?:-get)?\s+install\s+([\w.+-]+)"),
     "Install “{0}” with your computer's software manager, then restart Little Monster GPA."),
    (re.compile(r"^(?:\./run|pip3?|python3?\s+-m\s+pip)\b"), "Reinstall Little Monster GPA to restore it."),
)


def _advice(text: str) -> list[str]:
    """What to do in the app for each command in text, in order, each said once."""
    said: list[str] = []
    for match in _COMMAND.finditer(text):
        command = match.group(0).strip("` ")
        for pattern, advice in IN_APP:
            found = pattern.match(command)
            if found:
                advice = advice.format(*found.groups())
                if advice not in said:
                    said.append(advice)
                break
    return said


def _without_commands(text: str) -> str:
    advice = _advice(text)

    def parenthetical(match: re.Match) -> str:
        inner = match.group(1)
        if not _COMMAND.search(inner):
            return match.group(0)
        inner = _DANGLING.sub("", _COMMAND.sub("", inner).strip(" ,:;")).strip(" ,:;")
        return "" if not inner or inner.endswith(":") or "/" in inner.split()[-1] else f" ({inner})"

    kept = []
    for sentence in _SENTENCE.split(text):
        if _COMMAND.search(sentence):
            sentence = re.sub(r"\s*\(([^()]*)\)", parenthetical, sentence)
            sentence = _DANGLING.sub("", _COMMAND.sub("", sentence).rstrip(" ,:;.")).rstrip(" ,:;")
            if advice:  # "…: install tesseract-ocr" says less than the advice that follows
                sentence = _INSTRUCTION.sub("", sentence).rstrip(" ,:;")
            if len(sentence.split()) < 3:  # "Reinstall:", "run" — nothing left worth reading
                continue
            sentence += "."
        kept.append(sentence)
    said = " ".join(kept).strip().rstrip(";,: ")
    if said and said[-1] not in ".!?…":
        said += "."
    return " ".join([said, *advice]).strip()


def plain_message(error: BaseException | str) -> str:
    """One or two sentences a student can act on, for an exception (or a message) from any layer."""
    if isinstance(error, BaseException):
        for kind in type(error).__mro__:
            if kind.__name__ in BY_KIND:
                return BY_KIND[kind.__name__]
        text = str(error) or "Something went wrong. Try again."
    else:
        text = error
    text = _without_commands(text.strip()).rstrip(";,: ")
    if not text:
        return "Something went wrong. Try again."
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."
