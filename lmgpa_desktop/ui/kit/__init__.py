"""Pieces any page uses.

operations: short work off the UI thread (lanes db, network, compute); job_runner: long work as jobs, reported
by signals; read_aloud: the Read aloud bar; reading_clock: counts reading time in a viewer.
"""
