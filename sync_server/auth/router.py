"""/api/auth: register, login, refresh, logout, me, password change and reset, device sessions, users (admin)."""

from __future__ import annotations

from fastapi import Depends, Query, Request, Response

from sync_server.auth import schemas
from sync_server.auth import service as auth
from sync_server.auth.deps import AdminCaller, CurrentCaller
from sync_server.deps import DB, Router, Settings, get_database
from sync_server.envelope import wrap
from sync_server.schemas import ERRORS, Done, Envelope

router = Router(prefix="/api/auth", tags=["auth"], responses=ERRORS)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


async def _no_store(response: Response) -> None:
    """Answers that carry tokens are never kept by a browser, proxy or the idempotency store (RFC 6749 5.1)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


TOKENS = [Depends(_no_store)]


def _tokens(issued: auth.Issued) -> dict:
    return schemas.TokensPublic(access_token=issued.access_token, refresh_token=issued.refresh_token,
                                expires_in=issued.expires_in, session_id=issued.session_id,
                                user=schemas.UserPublic.model_validate(issued.user)).model_dump(mode="json")


@router.post("/register", status_code=201, response_model=Envelope[schemas.TokensPublic], dependencies=TOKENS)
def register(body: schemas.RegisterIn, request: Request, db: DB, settings: Settings):
    """Create a student or teacher account and sign this device in."""
    issued = auth.register(db, settings, email=body.email, password=body.password, display_name=body.display_name,
                           role=body.role, device=body.device_name, agent=_agent(request), client=_client(request),
                           database=get_database(request))
    return wrap(request, _tokens(issued))


@router.post("/login", response_model=Envelope[schemas.TokensPublic], dependencies=TOKENS)
def login(body: schemas.LoginIn, request: Request, db: DB, settings: Settings):
    """Sign in: a short-lived access token and a refresh token for this device."""
    issued = auth.login(db, settings, email=body.email, password=body.password, device=body.device_name,
                        agent=_agent(request), client=_client(request), database=get_database(request))
    return wrap(request, _tokens(issued))


@router.post("/refresh", response_model=Envelope[schemas.TokensPublic], dependencies=TOKENS)
def refresh(body: schemas.RefreshIn, request: Request, db: DB, settings: Settings):
    """Trade a refresh token for a new pair; the old refresh token stops working."""
    return wrap(request, _tokens(auth.refresh(db, settings, refresh_token=body.refresh_token,
                                              client=_client(request), database=get_database(request))))


@router.post("/logout", response_model=Envelope[Done])
def logout(request: Request, db: DB, caller: CurrentCaller):
    """Sign this device out."""
    auth.logout(db, caller.session_id)
    return wrap(request, {"done": True})


@router.get("/me", response_model=Envelope[schemas.UserPublic])
def me(request: Request, caller: CurrentCaller):
    """The signed-in account."""
    return wrap(request, schemas.UserPublic.model_validate(caller.user).model_dump(mode="json"))


@router.patch("/me", response_model=Envelope[schemas.UserPublic])
def update_me(body: schemas.ProfileUpdate, request: Request, db: DB, caller: CurrentCaller):
    """Change the display name or the leaderboard opt-in."""
    user = auth.update_profile(db, caller.in_session(db), body.display_name, body.leaderboard_opt_in)
    db.flush()
    return wrap(request, schemas.UserPublic.model_validate(user).model_dump(mode="json"))


@router.post("/password/change", response_model=Envelope[Done])
def change_password(body: schemas.PasswordChangeIn, request: Request, db: DB, settings: Settings,
                    caller: CurrentCaller):
    """Change the password; other devices are signed out. Wrong current passwords are throttled per account."""
    auth.change_password(db, settings, caller.in_session(db), caller.session_id, body.current_password,
                         body.new_password, database=get_database(request))
    return wrap(request, {"done": True})


@router.post("/password/reset/request", status_code=202, response_model=Envelope[Done])
def request_reset(body: schemas.ResetRequestIn, request: Request, db: DB, settings: Settings):
    """Send a reset token if the account exists; the answer is the same either way."""
    auth.request_reset(db, settings, body.email, _client(request), request.app.state.reset_sender,
                       database=get_database(request))
    return wrap(request, {"done": True})


@router.post("/password/reset/confirm", response_model=Envelope[Done])
def confirm_reset(body: schemas.ResetConfirmIn, request: Request, db: DB, settings: Settings):
    """Set a new password with a reset token (single use, one hour); all devices are signed out."""
    auth.confirm_reset(db, settings, body.token, body.new_password, _client(request),
                       database=get_database(request))
    return wrap(request, {"done": True})


@router.get("/sessions", response_model=Envelope[list[schemas.SessionPublic]])
def list_sessions(request: Request, db: DB, caller: CurrentCaller):
    """Signed-in devices of this account."""
    rows = [schemas.SessionPublic.model_validate(s).model_copy(update={"current": s.id == caller.session_id})
            for s in auth.sessions(db, caller.id)]
    return wrap(request, [r.model_dump(mode="json") for r in rows])


@router.delete("/sessions/{session_id}", response_model=Envelope[Done])
def revoke_session(session_id: str, request: Request, db: DB, caller: CurrentCaller):
    """Sign one device out."""
    auth.revoke(db, caller.id, session_id)
    return wrap(request, {"done": True})


@router.get("/users", response_model=Envelope[list[schemas.UserPublic]])
def list_users(request: Request, db: DB, _admin: AdminCaller, limit: int = Query(100, ge=1, le=500),
               offset: int = Query(0, ge=0)):
    """Every account (admins only)."""
    return wrap(request, [schemas.UserPublic.model_validate(u).model_dump(mode="json")
                          for u in auth.list_users(db, limit, offset)])


@router.patch("/users/{user_id}/role", response_model=Envelope[schemas.UserPublic])
def set_role(user_id: str, body: schemas.RoleUpdate, request: Request, db: DB, _admin: AdminCaller):
    """Change someone's role (admins only)."""
    return wrap(request, schemas.UserPublic.model_validate(auth.set_role(db, user_id, body.role))
                .model_dump(mode="json"))
