"""Personal study-data sync: end-to-end encryption, keys, engine and service."""
