"""The form type routes: publish a definition (JSON or YAML), read the current version or
any earlier one."""

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from cabinet_common import safe_json
from cabinet_common.auth.api import DEPARTMENT_MEMBERS, allow
from cabinet_common.auth.principal import ADMINISTRATION
from cabinet_common.database import MAX_INTEGER
from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_common.identifiers import Slug
from cabinet_common.problems import Problem, responses
from cabinet_common.safe_json import load_yaml
from cabinet_common.service import DbSession
from cabinet_cycles.departments import department_or_404
from cabinet_cycles.form_types import (
    PublishedFormType,
    current_form_type,
    form_type_version,
    publish_form_type,
)
from cabinet_cycles.schemas import FormTypeVersionOut

router = APIRouter(
    prefix="/departments/{department_id}/form-types",
    tags=["register"],
    dependencies=[DEPARTMENT_MEMBERS],
    responses=responses({404: "No such department, or no such form type in it"}),
)

MAX_DEFINITION_BYTES = 1_000_000
YAML_MEDIA_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})
JSON_MEDIA_TYPE = "application/json"


async def _definition(request: Request) -> FormTypeDefinition:
    media_type = request.headers.get("content-type", JSON_MEDIA_TYPE).split(";")[0].strip().lower()
    if media_type not in {JSON_MEDIA_TYPE, *YAML_MEDIA_TYPES}:
        raise Problem(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the definition as application/json or application/yaml",
        )
    body = await request.body()
    if len(body) > MAX_DEFINITION_BYTES:
        raise Problem(
            413,
            "TOO_LARGE",
            f"A definition must be at most {MAX_DEFINITION_BYTES:,} bytes",
        )
    document: Any
    try:
        document = safe_json.loads(body) if media_type == JSON_MEDIA_TYPE else load_yaml(body)
    except safe_json.Unsafe as error:
        raise error.problem() from error
    except (ValueError, yaml.YAMLError) as error:
        raise Problem(
            422, "INVALID_DOCUMENT", f"The body is not valid {media_type}: {error}"
        ) from error
    try:
        return FormTypeDefinition.model_validate(document)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_context=False, include_input=False)
        raise RequestValidationError(
            [{**problem, "loc": ("body", *problem["loc"])} for problem in problems]
        ) from error


_DEFINITION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media_type: {"schema": {"$ref": "#/components/schemas/FormTypeDefinition"}}
            for media_type in (JSON_MEDIA_TYPE, "application/yaml")
        },
    }
}


@router.put(
    "/{form_type_id}",
    response_model=FormTypeVersionOut,
    openapi_extra=_DEFINITION_BODY,
    dependencies=[allow(ADMINISTRATION)],
    responses=responses(
        {
            413: "The definition is too large",
            415: "Not sent as JSON or YAML",
            422: "Not a valid definition: each problem listed",
        }
    ),
)
async def put_form_type(
    department_id: str,
    form_type_id: Slug,
    definition: Annotated[FormTypeDefinition, Depends(_definition)],
    session: DbSession,
    request: Request,
) -> FormTypeVersionOut:
    """Publish a definition. The same definition again changes nothing; a changed one
    becomes the next version, for the periods opened from now on. The form type's schedule
    (which opens each quarter by itself) is created with its first version."""
    async with session.begin():
        await department_or_404(session, department_id)
        published = await publish_form_type(session, department_id, form_type_id, definition)
    await request.app.state.schedule_keeper.ensure(department_id, form_type_id)
    return _out(published)


@router.get("/{form_type_id}", response_model=FormTypeVersionOut)
async def get_form_type(
    department_id: str, form_type_id: str, session: DbSession
) -> FormTypeVersionOut:
    """The current version."""
    return _out(_found(await current_form_type(session, department_id, form_type_id)))


@router.get("/{form_type_id}/versions/{version}", response_model=FormTypeVersionOut)
async def get_form_type_version(
    department_id: str,
    form_type_id: str,
    version: Annotated[int, Path(ge=1, le=MAX_INTEGER, description="A version number")],
    session: DbSession,
) -> FormTypeVersionOut:
    published = await form_type_version(session, department_id, form_type_id, version)
    return _out(_found(published))


def _found(published: PublishedFormType | None) -> PublishedFormType:
    if published is None:
        raise Problem(404, "NO_SUCH_FORM_TYPE", "No such form type in this department")
    return published


def _out(published: PublishedFormType) -> FormTypeVersionOut:
    return FormTypeVersionOut(
        form_type_id=published.form_type_id,
        version=published.version,
        definition=published.definition,
    )
