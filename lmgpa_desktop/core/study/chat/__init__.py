"""Grounded chat: answers from the student's own library, checked sentence by sentence, cited, kept in conversations.

  ask            asking and streaming an answer (the entry point)
  retrieval      the passages an answer may use, and whether a question follows up the last one
  prompt         the prompt for chat-template and base models
  check          each sentence of an answer checked against the passages; refusals
  conversations  conversations and their messages, stored
"""
