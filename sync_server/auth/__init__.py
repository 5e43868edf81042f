"""Accounts: register, sign-in, tokens and device sessions, passwords and resets, roles; the signed-in caller."""
