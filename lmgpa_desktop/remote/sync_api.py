"""The /api/sync endpoints: the wrapped sync key, encrypted messages by cursor, and encrypted media chunks."""

from __future__ import annotations

from lmgpa_desktop.remote.api_client import ApiClient, ServerRejected

__all__ = ["PULL_LIMIT", "PUSH_LIMIT", "SyncApi"]

PUSH_LIMIT = 1000  # the server's most messages per push
PULL_LIMIT = 1000  # and per pull page


class SyncApi:
    """Personal-sync calls over one signed-in ApiClient (implements core.sync.keys.KeyApi)."""

    def __init__(self, client: ApiClient):
        self.client = client

    # -- account ---------------------------------------------------------------------------------------------
    def status(self) -> dict:
        """{available, key, messages, bytes, blobs, blob_bytes, quota_bytes, last_seq, message}."""
        return self.client.get("/api/sync/status")

    def delete_data(self) -> dict:
        """Delete every message, blob and the key this account stored: {messages, blobs}."""
        return self.client.request("DELETE", "/api/sync/data")

    # -- key (KeyApi) ----------------------------------------------------------------------------------------
    def get_key(self) -> dict | None:
        """{version, wrapped, key_check}, or None when the account has no sync key yet."""
        try:
            return self.client.get("/api/sync/key")
        except ServerRejected as exc:
            if exc.status == 404:
                return None
            raise

    def put_key(self, expected_version: int, wrapped: dict, key_check: str) -> int:
        """Store the wrapped key (0 = none yet); the new version. 409 when another device changed it first."""
        data = self.client.request("PUT", "/api/sync/key", json={"expected_version": expected_version,
                                                                  "wrapped": wrapped, "key_check": key_check})
        return int(data["version"])

    # -- messages --------------------------------------------------------------------------------------------
    def push(self, messages: list[dict]) -> dict:
        """Store messages [{id, hlc, device, payload}] all or nothing: {accepted, duplicates, last_seq}."""
        if len(messages) > PUSH_LIMIT:
            raise ValueError(f"at most {PUSH_LIMIT} messages per push")
        return self.client.request("POST", "/api/sync/push", json={"messages": messages})

    def pull(self, after: int, limit: int = 500, exclude_device: str | None = None) -> dict:
        """Messages with seq > after, oldest first: {messages: [{seq, id, hlc, device, payload}], last_seq, more}."""
        return self.client.get("/api/sync/pull", after=int(after), limit=min(int(limit), PULL_LIMIT),
                               exclude_device=exclude_device)

    # -- blobs -----------------------------------------------------------------------------------------------
    def blob_info(self, blob_id: str) -> dict | None:
        """{blob_id, chunks: [index...], complete, size}, or None when the server holds no chunk of it."""
        try:
            return self.client.get(f"/api/sync/blobs/{blob_id}")
        except ServerRejected as exc:
            if exc.status == 404:
                return None
            raise

    def put_chunk(self, blob_id: str, index: int, sealed: bytes) -> None:
        """Store one encrypted chunk (idempotent)."""
        self.client.put_bytes(f"/api/sync/blobs/{blob_id}/{int(index)}", sealed)

    def complete_blob(self, blob_id: str, chunks: int, size: int) -> None:
        """Tell the server every chunk is there (409 when some are missing)."""
        self.client.request("POST", f"/api/sync/blobs/{blob_id}/complete", json={"chunks": int(chunks),
                                                                                   "size": int(size)})

    def get_chunk(self, blob_id: str, index: int) -> bytes:
        """One encrypted chunk's bytes."""
        return self.client.raw(f"/api/sync/blobs/{blob_id}/{int(index)}")
