"""Talking to the sync server (httpx) and the system keyring; nothing else imports them."""
