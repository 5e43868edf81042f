"""Pieces any page uses.

operations: short work off the UI thread (lanes db, network, compute); job_runner: long work as jobs, reported
by signals; read_aloud: the Read aloud bar; reading_clock: counts reading time in a viewer; empty_state: what an
empty pane says to do next, with buttons that do it; accessibility: names for every control a screen reader
lands on; status_line: status text that clears once work is done; plain_errors: errors without command lines;
tab_order: Tab leaves a table of rows instead of walking its cells.
"""
