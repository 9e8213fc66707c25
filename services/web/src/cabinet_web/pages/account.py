"""Signing in and out, and the start page that sends each role to its own pages."""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from cabinet_common.service import DbSession
from cabinet_web.accounts import Role, SignInLocked, authenticate
from cabinet_web.formatting import long_date
from cabinet_web.forms import Problems
from cabinet_web.sessions import SignedIn, end_session, start_session
from cabinet_web.templating import render

router = APIRouter()

HOME = {
    Role.FILER: "/returns",
    Role.CASEWORKER: "/queue",
    Role.OPERATOR: "/dashboard",
    Role.ADMIN: "/queue",
}


@router.get("/")
async def start(user: SignedIn) -> Response:
    return RedirectResponse(HOME[user.role], status_code=303)


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    return render(request, "sign_in.html", {"title": "Sign in", "values": {}})


@router.post("/sign-in")
async def sign_in(
    request: Request,
    session: DbSession,
    user_id: Annotated[str, Form(alias="user-id")] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    problems = Problems()
    if not user_id.strip():
        problems.add("user-id", "Enter your user ID")
    if not password:
        problems.add("password", "Enter your password")
    if not problems:
        try:
            async with session.begin():
                client = request.client.host if request.client else ""
                user = await authenticate(session, user_id, password, client)
                if user is not None:
                    response = RedirectResponse(HOME[Role(user.role)], status_code=303)
                    await start_session(session, response, request, user)
                    return response
            problems.add("user-id", "Enter a correct user ID and password")
        except SignInLocked as locked:
            problems.add(
                "user-id",
                "You entered the wrong password too many times. "
                f"Try again after {long_date(locked.until)}",
            )
    return render(
        request,
        "sign_in.html",
        {"title": "Sign in", "problems": problems, "values": {"user_id": user_id}},
        status_code=400,
    )


@router.get("/sign-out")
async def sign_out_page(request: Request, user: SignedIn) -> Response:
    return render(request, "sign_out.html", {"title": "Sign out"})


@router.post("/sign-out")
async def sign_out(request: Request, session: DbSession) -> Response:
    response = render(request, "signed_out.html", {"title": "You have signed out"})
    async with session.begin():
        await end_session(session, request, response)
    return response
