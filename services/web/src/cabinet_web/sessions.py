"""Signed-in sessions kept server side: the cookie holds a random token, the table its
hash, so signing out (or an expiry) ends the session everywhere at once."""

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response, status
from sqlalchemy import delete, or_

from cabinet_common.service import DbSession
from cabinet_web.accounts import Role
from cabinet_web.settings import WebSettings
from cabinet_web.tables import User, WebSession

COOKIE = "cabinet_session"


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _settings(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


def _ended_before(settings: WebSettings, now: datetime) -> tuple[datetime, datetime]:
    """A session last seen before the first, or started before the second, has ended."""
    return (
        now - timedelta(minutes=settings.session_idle_minutes),
        now - timedelta(hours=settings.session_max_hours),
    )


async def start_session(
    session: DbSession, response: Response, request: Request, user: User
) -> None:
    """A new token on every sign-in, so a token planted before it is worth nothing."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    settings = _settings(request)
    seen_cutoff, started_cutoff = _ended_before(settings, now)
    # Every sign-in also clears away the sessions that have ended, anyone's.
    await session.execute(
        delete(WebSession).where(
            or_(WebSession.last_seen_at < seen_cutoff, WebSession.created_at < started_cutoff)
        )
    )
    session.add(
        WebSession(
            token_sha256=_sha256(token), user_id=user.user_id, created_at=now, last_seen_at=now
        )
    )
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


async def end_session(session: DbSession, request: Request, response: Response) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        await session.execute(delete(WebSession).where(WebSession.token_sha256 == _sha256(token)))
    response.delete_cookie(COOKIE, path="/")


class SignInRequired(Exception):
    """Raised for a page that needs a signed-in user; the app redirects to sign in."""


@dataclass(frozen=True)
class CurrentUser:
    user_id: str
    display_name: str
    role: Role
    department_id: str
    filer_id: str | None


async def current_user(request: Request, session: DbSession) -> CurrentUser:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired
    now = datetime.now(UTC)
    seen_cutoff, started_cutoff = _ended_before(_settings(request), now)
    async with session.begin():
        signed_in = await session.get(WebSession, _sha256(token))
        if signed_in is None:
            raise SignInRequired
        expired = signed_in.last_seen_at < seen_cutoff or signed_in.created_at < started_cutoff
        user = await session.get(User, signed_in.user_id)
        if expired or user is None:
            await session.delete(signed_in)
        else:
            signed_in.last_seen_at = now
    # Raised once the transaction has committed the deletion of an ended session.
    if expired or user is None:
        raise SignInRequired
    current = CurrentUser(
        user_id=user.user_id,
        display_name=user.display_name,
        role=Role(user.role),
        department_id=user.department_id,
        filer_id=user.filer_id,
    )
    request.state.user = current
    return current


SignedIn = Annotated[CurrentUser, Depends(current_user)]


async def optional_user(request: Request, session: DbSession) -> CurrentUser | None:
    """On a page anyone may open: the signed-in user, so its header shows their
    navigation and "Sign out"; None for a visitor."""
    try:
        return await current_user(request, session)
    except SignInRequired:
        return None


MaybeSignedIn = Annotated[CurrentUser | None, Depends(optional_user)]


class NoAccess(Exception):
    """Staff on a page for another role: told they have no access to it (403)."""


def _role(*roles: Role) -> Callable[[CurrentUser], Awaitable[CurrentUser]]:
    """Only these roles through. Staff with another role are told they have no access;
    a filer gets 404, as if the page did not exist (nothing about staff pages)."""

    async def check(user: SignedIn) -> CurrentUser:
        if user.role not in roles:
            if user.role == Role.FILER:
                raise HTTPException(status.HTTP_404_NOT_FOUND)
            raise NoAccess
        return user

    return check


FilerUser = Annotated[CurrentUser, Depends(_role(Role.FILER))]
CaseworkerUser = Annotated[CurrentUser, Depends(_role(Role.CASEWORKER, Role.ADMIN))]
OperatorUser = Annotated[CurrentUser, Depends(_role(Role.OPERATOR, Role.CASEWORKER, Role.ADMIN))]
