"""The student's account on a sync server: sign-in, offline cache, outbox, sync and live notifications."""
