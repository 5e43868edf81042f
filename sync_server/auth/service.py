"""Accounts, device sessions, refresh-token rotation with reuse detection, password change and reset."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.errors import ApiError
from sync_server.models import utcnow
from sync_server.security import passwords, tokens
from sync_server.auth import throttle
from sync_server.db import Database
from sync_server.settings import ServerSettings

log = logging.getLogger("sync_server.auth")
RESET_VALID = timedelta(hours=1)
GENERIC_LOGIN_ERROR = "email or password is wrong"  # the same words whether or not the account exists


@dataclass(frozen=True)
class Issued:
    """Tokens handed to a device after sign-in or refresh."""

    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    user: models.User


ResetSender = Callable[[str, str], None]  # (email, token) -> delivered somehow


def log_reset_sender(email: str, token: str) -> None:
    """Default delivery: the server log (an operator passes it on, or plugs in a mail sender)."""
    log.warning("password reset requested for %s: token %s (valid one hour, single use)", email, token)


def _policy(password: str, email: str, name: str = "") -> None:
    problem = passwords.policy_problem(password, email, name)
    if problem:
        raise ApiError(422, f"password not accepted: {problem}", "WEAK_PASSWORD")


def _normal_email(email: str) -> str:
    return email.strip().lower()


def _guard(database: Database, settings: ServerSettings, key: str) -> None:
    """429 with Retry-After when this client has made too many guarded auth calls this minute.

    Counted in a transaction of its own, before the request's session is used: a call that then fails (a taken
    email, a junk refresh or reset token) still counts."""
    wait = throttle.hit_apart(database, key, settings.rate_limit_per_minute, timedelta(minutes=1))
    if wait:
        raise ApiError(429, "too many requests; try again later", "RATE_LIMITED", headers={"Retry-After": str(wait)})


def _fingerprint(password_hash: str) -> str:
    return tokens.digest("pw:" + password_hash)


def _issue(db: Session, settings: ServerSettings, user: models.User, session: models.DeviceSession) -> Issued:
    refresh = tokens.new_opaque()
    db.add(models.RefreshToken(session_id=session.id, token_hash=tokens.digest(refresh),
                               expires_at=utcnow() + timedelta(hours=settings.session_timeout_hours)))
    access = tokens.issue_access(settings.signing_key, user.id, session.id, user.role, settings.access_token_minutes)
    return Issued(access, refresh, settings.access_token_minutes * 60, session.id, user)


def _start_session(db: Session, settings: ServerSettings, user: models.User, device: str, agent: str) -> Issued:
    session = models.DeviceSession(user_id=user.id, device_name=device[:120] or "unnamed device",
                                   user_agent=agent[:255])
    db.add(session)
    db.flush()
    return _issue(db, settings, user, session)


def register(db: Session, settings: ServerSettings, *, email: str, password: str, display_name: str, role: str,
             device: str, agent: str, client: str, database: Database) -> Issued:
    """Create an account (student or teacher) and sign its first device in."""
    _guard(database, settings, f"ip:{client}")
    email = _normal_email(email)
    _policy(password, email, display_name)
    user = models.User(email=email, display_name=display_name.strip(), role=role,
                       password_hash=passwords.hash_password(password))
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        # Registration necessarily tells that an address is taken; login and reset never do.
        raise ApiError(409, "an account with this email already exists; sign in or reset the password",
                       "EMAIL_TAKEN") from None
    return _start_session(db, settings, user, device, agent)


def login(db: Session, settings: ServerSettings, *, email: str, password: str, device: str, agent: str,
          client: str, database: Database) -> Issued:
    """Sign in; failures are throttled per account and per address, and look alike for unknown accounts."""
    _guard(database, settings, f"ip:{client}")
    email = _normal_email(email)
    window = timedelta(minutes=settings.login_window_minutes)
    for key in (f"login:{email}", f"login-ip:{client}"):
        wait = throttle.retry_after(db, key, settings.login_failures_allowed, window, failures_only=True)
        if wait:
            raise ApiError(429, "too many failed sign-ins; wait before trying again", "RATE_LIMITED",
                           headers={"Retry-After": str(wait)})
    user = db.scalar(select(models.User).where(models.User.email == email))
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        throttle.record(db, f"login:{email}")
        throttle.record(db, f"login-ip:{client}")
        db.commit()  # the failure must count even though this request fails
        raise ApiError(401, GENERIC_LOGIN_ERROR, "INVALID_CREDENTIALS")
    throttle.forget_failures(db, f"login:{email}")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return _start_session(db, settings, user, device, agent)


def _revoke_session(db: Session, session_id: str, reason: str) -> None:
    db.execute(update(models.DeviceSession).where(models.DeviceSession.id == session_id,
                                                  models.DeviceSession.revoked_at.is_(None))
               .values(revoked_at=utcnow(), revoked_reason=reason))


def refresh(db: Session, settings: ServerSettings, *, refresh_token: str, client: str, database: Database) -> Issued:
    """Rotate: the presented token is spent and a new one issued; presenting a spent token ends the family."""
    _guard(database, settings, f"ip:{client}")
    row = db.scalar(select(models.RefreshToken).where(models.RefreshToken.token_hash == tokens.digest(refresh_token)))
    invalid = ApiError(401, "the refresh token is invalid or expired; sign in again", "UNAUTHORIZED")
    if row is None:
        raise invalid
    session = db.get(models.DeviceSession, row.session_id)
    if row.used_at is not None:
        # RFC 9700 4.14.2: a rotated token came back, so it was copied; end this device's whole family.
        _revoke_session(db, row.session_id, "refresh token reuse")
        db.commit()
        log.warning("refresh token reuse on session %s: session revoked", row.session_id)
        raise ApiError(401, "this sign-in was ended because an old refresh token was used again; sign in again",
                       "TOKEN_REUSED")
    if session is None or session.revoked_at is not None or row.expires_at < utcnow():
        raise invalid
    # Spend the token with a guarded update so two concurrent refreshes cannot both succeed.
    spent = db.execute(update(models.RefreshToken).where(models.RefreshToken.id == row.id,
                                                         models.RefreshToken.used_at.is_(None))
                       .values(used_at=utcnow())).rowcount
    if spent != 1:
        _revoke_session(db, row.session_id, "refresh token reuse")
        db.commit()
        raise ApiError(401, "this sign-in was ended because a refresh token was used twice", "TOKEN_REUSED")
    user = db.get(models.User, session.user_id)
    if user is None or not user.is_active:
        raise invalid
    session.last_used_at = utcnow()
    return _issue(db, settings, user, session)


def signed_in_user(db: Session, session_id: str, user_id: str) -> models.User | None:
    """The active user of a device session that is still signed in, in one query (runs on every request)."""
    return db.scalar(select(models.User).join(models.DeviceSession, models.DeviceSession.user_id == models.User.id)
                     .where(models.DeviceSession.id == session_id, models.User.id == user_id,
                            models.DeviceSession.revoked_at.is_(None), models.User.is_active.is_(True)))


def logout(db: Session, session_id: str) -> None:
    """End this device's session (its refresh tokens stop working)."""
    _revoke_session(db, session_id, "signed out")


def sessions(db: Session, user_id: str) -> list[models.DeviceSession]:
    """The user's signed-in devices, most recently used first."""
    return list(db.scalars(select(models.DeviceSession).where(models.DeviceSession.user_id == user_id,
                                                              models.DeviceSession.revoked_at.is_(None))
                           .order_by(models.DeviceSession.last_used_at.desc())))


def revoke(db: Session, user_id: str, session_id: str) -> None:
    """Sign one of the user's devices out; someone else's session is 'not found'."""
    session = db.get(models.DeviceSession, session_id)
    if session is None or session.user_id != user_id or session.revoked_at is not None:
        raise ApiError(404, "no such device session", "NOT_FOUND")
    _revoke_session(db, session_id, "revoked by user")


def _check_current_password(database: Database, settings: ServerSettings, user: models.User, current: str) -> None:
    """403 for a wrong current password; failures are throttled per account like sign-ins (429 with Retry-After)."""
    key = f"password:{user.id}"
    wait = throttle.failures_wait_apart(database, key, settings.login_failures_allowed,
                                        timedelta(minutes=settings.login_window_minutes))
    if wait:
        raise ApiError(429, "too many wrong passwords; wait before trying again", "RATE_LIMITED",
                       headers={"Retry-After": str(wait)})
    if not passwords.verify_password(user.password_hash, current):
        throttle.fail_apart(database, key)  # counts although this request fails and rolls back
        raise ApiError(403, "the current password is wrong", "INVALID_CREDENTIALS")
    throttle.forget_failures_apart(database, key)


def change_password(db: Session, settings: ServerSettings, user: models.User, current_session: str, current: str,
                    new: str, database: Database) -> None:
    """Change the password after checking the current one; every other device is signed out.

    `user` may be attached to `db` but `db` must not have queried yet (see throttle's *_apart functions)."""
    _check_current_password(database, settings, user, current)
    _policy(new, user.email, user.display_name)
    user.password_hash = passwords.hash_password(new)
    db.execute(update(models.DeviceSession).where(models.DeviceSession.user_id == user.id,
                                                  models.DeviceSession.id != current_session,
                                                  models.DeviceSession.revoked_at.is_(None))
               .values(revoked_at=utcnow(), revoked_reason="password changed"))


def request_reset(db: Session, settings: ServerSettings, email: str, client: str, send: ResetSender,
                  database: Database) -> None:
    """Issue a reset token when the account exists; the answer never says whether it does."""
    _guard(database, settings, f"ip:{client}")
    email = _normal_email(email)
    user = db.scalar(select(models.User).where(models.User.email == email))
    token = tokens.new_opaque()  # made either way so both paths take similar time
    if user is None or not user.is_active:
        return
    db.add(models.PasswordReset(user_id=user.id, token_hash=tokens.digest(token),
                                password_fingerprint=_fingerprint(user.password_hash),
                                expires_at=utcnow() + RESET_VALID))
    try:
        send(user.email, token)
    except Exception:  # noqa: BLE001 - the answer must not differ from an unknown account's
        log.exception("the password-reset sender failed for %s", user.email)


def confirm_reset(db: Session, settings: ServerSettings, token: str, new: str, client: str,
                  database: Database) -> None:
    """Set a new password with a valid, unused reset token; all devices are signed out."""
    _guard(database, settings, f"ip:{client}")
    row = db.scalar(select(models.PasswordReset).where(models.PasswordReset.token_hash == tokens.digest(token)))
    invalid = ApiError(400, "this reset link is invalid, used or expired; ask for a new one", "INVALID_TOKEN")
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise invalid
    user = db.get(models.User, row.user_id)
    # Bound to the password it was issued for: once the password changes, older links die.
    if user is None or _fingerprint(user.password_hash) != row.password_fingerprint:
        raise invalid
    _policy(new, user.email, user.display_name)
    spent = db.execute(update(models.PasswordReset).where(models.PasswordReset.id == row.id,
                                                          models.PasswordReset.used_at.is_(None))
                       .values(used_at=utcnow())).rowcount
    if spent != 1:
        raise invalid
    user.password_hash = passwords.hash_password(new)
    db.execute(update(models.DeviceSession).where(models.DeviceSession.user_id == user.id,
                                                  models.DeviceSession.revoked_at.is_(None))
               .values(revoked_at=utcnow(), revoked_reason="password reset"))


def update_profile(db: Session, user: models.User, display_name: str | None, opt_in: bool | None) -> models.User:
    """Change the name shown to others or the leaderboard choice."""
    if display_name is not None:
        user.display_name = display_name.strip()
    if opt_in is not None:
        user.leaderboard_opt_in = opt_in
    return user


def list_users(db: Session, limit: int, offset: int) -> list[models.User]:
    """Every account (admin only)."""
    return list(db.scalars(select(models.User).order_by(models.User.created_at).limit(limit).offset(offset)))


def set_role(db: Session, user_id: str, role: str) -> models.User:
    """Make someone a student, teacher or admin (admin only)."""
    user = db.get(models.User, user_id)
    if user is None:
        raise ApiError(404, "no such user", "NOT_FOUND")
    user.role = role
    return user
