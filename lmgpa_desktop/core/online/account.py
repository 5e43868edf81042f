"""Signing up, in and out, signed-in devices, the leaderboard choice and passwords."""

from __future__ import annotations

import logging
import socket

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.online.base import DEFAULT_SERVER, AccountState, OnlineBase, _friendly
from lmgpa_desktop.remote.api_client import (
    ApiClient,
    RemoteError,
    ServerError,
    ServerRejected,
    ServerUnreachable,
    SessionExpired,
    normalize_url,
)
from lmgpa_desktop.storage import online_repo

log = logging.getLogger(__name__)


class AccountMixin(OnlineBase):
    """The account itself (network)."""

    def _authenticate(self, server_url: str, path: str, body: dict) -> AccountState:
        url = normalize_url(server_url or DEFAULT_SERVER)
        client = ApiClient(url, on_tokens=self._tokens_rotated)
        try:
            issued = client.request("POST", path, json={**body, "device_name": socket.gethostname()[:120]},
                                    auth=False)
        except ServerUnreachable as exc:
            client.close()
            raise UserError(f"the server at {url} cannot be reached; check the address and your connection") from exc
        except ServerRejected as exc:
            client.close()
            raise UserError(_friendly(exc)) from exc
        except (ServerError, SessionExpired) as exc:
            client.close()
            raise UserError(str(exc)) from exc
        self.stop_live()
        email = issued["user"]["email"]
        online_repo.save_account(self.db, url, email, issued["user"], issued["session_id"])
        client.adopt(issued)
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = client
            self._client_key = online_repo.account_key(url, issued["user"]["id"])
            self._token_storage = self._creds.save(url, email, issued["refresh_token"])
        self._changed()
        return self.state()

    def sign_up(self, server_url: str, email: str, password: str, display_name: str,
                role: str = "student") -> AccountState:
        """Create an account on the server and sign this computer in (UserError with the server's reason)."""
        if role not in ("student", "teacher"):
            raise UserError("role must be student or teacher")
        return self._authenticate(server_url, "/api/auth/register",
                                  {"email": email.strip(), "password": password,
                                   "display_name": display_name.strip(), "role": role})

    def sign_in(self, server_url: str, email: str, password: str) -> AccountState:
        """Sign in (UserError on a wrong password or an unreachable server)."""
        return self._authenticate(server_url, "/api/auth/login", {"email": email.strip(), "password": password})

    def sign_out(self) -> AccountState:
        """Sign out: revoke on the server when reachable, forget the token, hide (keep) the cache."""
        a = online_repo.account(self.db)
        self.stop_live()
        if a is not None and a.signed_in:
            client = self._ensure_client(a)
            try:
                if client.tokens.access_token or client.tokens.refresh_token:
                    client.request("POST", "/api/auth/logout")
            except RemoteError as exc:  # offline or already ended: forgetting the token locally is what matters
                log.info("sign-out could not reach the server: %s", exc)
            self._creds.delete(a.server_url, a.email)
            online_repo.update_account(self.db, signed_in=False, status="online", message="")
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client, self._client_key, self._token_storage = None, None, "none"
        self._changed()
        return self.state()

    def devices(self) -> list[dict]:
        """Signed-in devices: {id, device_name, user_agent, created_at, last_used_at, current} (network)."""
        return list(self._call(lambda c: c.request("GET", "/api/auth/sessions")))

    def revoke_device(self, session_id: str) -> None:
        """Sign one device out (network; revoking this one signs out)."""
        self._call(lambda c: c.request("DELETE", f"/api/auth/sessions/{session_id}"))
        a = self._account()
        if a is not None and a.session_id == session_id:
            self._creds.delete(a.server_url, a.email)
            online_repo.update_account(self.db, signed_in=False)
            with self._lock:
                self._client, self._client_key, self._token_storage = None, None, "none"
            self._changed()

    def set_leaderboard_opt_in(self, flag: bool) -> AccountState:
        """Appear on (or leave) class and connection leaderboards (network)."""
        user = self._call(lambda c: c.request("PATCH", "/api/auth/me", json={"leaderboard_opt_in": bool(flag)}))
        online_repo.update_account(self.db, user=user)
        self._changed()
        return self.state()

    # -- passwords ---------------------------------------------------------------------------------------------
    def change_password(self, current: str, new: str) -> None:
        """Change the password (network); the server signs out the other devices, this one stays signed in."""
        if not current or not new:
            raise UserError("type your current password and the new one")
        if current == new:
            raise UserError("the new password is the same as the current one")
        self._call(lambda c: c.request("POST", "/api/auth/password/change",
                                       json={"current_password": current, "new_password": new}))

    def request_password_reset(self, server_url: str, email: str) -> None:
        """Ask the server for a reset code for this email; its answer is the same whether the account exists."""
        email = email.strip()
        if "@" not in email:
            raise UserError("type the email address of your account")
        self._post_signed_out(server_url, "/api/auth/password/reset/request", {"email": email})

    def reset_password(self, server_url: str, token: str, new_password: str) -> None:
        """Set a new password with a reset code (network); the server signs out every device of the account."""
        token = token.strip()
        if not token:
            raise UserError("paste the reset code you were given")
        if not new_password:
            raise UserError("type the new password")
        self._post_signed_out(server_url, "/api/auth/password/reset/confirm",
                              {"token": token, "new_password": new_password})

    def _post_signed_out(self, server_url: str, path: str, body: dict) -> object:
        """A POST that needs no sign-in, to the server at server_url (UserError with the server's reason)."""
        url = normalize_url(server_url or DEFAULT_SERVER)
        client = ApiClient(url)
        try:
            return client.request("POST", path, json=body, auth=False)
        except ServerUnreachable as exc:
            raise UserError(f"the server at {url} cannot be reached; check the address and your connection") from exc
        except ServerRejected as exc:
            raise UserError(_friendly(exc)) from exc
        except (ServerError, SessionExpired) as exc:
            raise UserError(str(exc)) from exc
        finally:
            client.close()
