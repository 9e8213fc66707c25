"""The operators' dead letters: events of this department that a consumer could not
process, by topic, each with its reason and age and a button that re-drives it (cycles
sends it back to its topic with its original event id). Works with JavaScript off: each
button is a form that posts, then lands back here with a banner."""

from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from cabinet_web.backend import Apis
from cabinet_web.sessions import OperatorUser
from cabinet_web.templating import render

router = APIRouter()
SECTION = "dead-letters"


def age(seconds: int) -> str:
    """How long ago, in the largest whole unit: "3 days", "1 hour", "12 minutes"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "under a minute"


@router.get("/dead-letters")
async def dead_letters(
    request: Request,
    user: OperatorUser,
    apis: Apis,
    redriven: Annotated[int | None, Query()] = None,
) -> Response:
    letters: list[dict[str, Any]] = await apis.cycles(user.department_id).get("/dead-letters")
    letters.sort(key=lambda letter: (letter["original_topic"], -letter["age_seconds"]))
    topics = [
        {
            "name": topic,
            "letters": [{**letter, "age": age(letter["age_seconds"])} for letter in group],
        }
        for topic, group in groupby(letters, key=lambda letter: letter["original_topic"])
    ]
    context = {"title": "Dead letters", "section": SECTION, "topics": topics, "redriven": redriven}
    return render(request, "operator/dead_letters.html", context)


@router.post("/dead-letters/redrive")
async def redrive(user: OperatorUser, apis: Apis, ref: Annotated[list[str], Form()]) -> Response:
    done = await apis.cycles(user.department_id).post("/dead-letters/redrive", {"refs": ref})
    return RedirectResponse(f"/dead-letters?redriven={len(done['redriven'])}", status_code=303)
