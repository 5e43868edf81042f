"""Personal study-data sync, storage side: the spec of what syncs, change capture, the outbox and apply."""
