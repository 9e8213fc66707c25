"""Filers' HTTP API: submit a form with its receipt files, and read submissions back."""

from typing import Annotated

from fastapi import (
    APIRouter,
    File,
    Form,
    Header,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cabinet_common.auth.api import DEPARTMENT_MEMBERS, CurrentPrincipal, ensure_sees_filer
from cabinet_common.auth.principal import CASEWORK, Principal, Role
from cabinet_common.bounded import BoundedPool, TaskFailed
from cabinet_common.database import MAX_INTEGER
from cabinet_common.evidence import EvidenceStore
from cabinet_common.form_types.answers import ProblemCode, check_answers, with_derived
from cabinet_common.known_form_types import known_definition
from cabinet_common.obligation_workflow import ObligationStatus
from cabinet_common.observability.metrics import SUBMISSIONS
from cabinet_common.problems import Problem, ProblemItem, refused, responses, validation_problem
from cabinet_common.service import DbSession
from cabinet_intake.file_checks import (
    ACCEPTED_MEDIA_TYPES,
    FileProblem,
    FileProblemCode,
    display_name,
    inline_disposition,
    inspect_file,
    megabytes,
    settled_at_first_look,
    too_complex,
)
from cabinet_intake.schemas import (
    ObligationOut,
    SubmissionAccepted,
    SubmissionDiff,
    SubmissionIn,
    SubmissionOut,
    VersionOut,
)
from cabinet_intake.settings import IntakeSettings
from cabinet_intake.submissions import (
    EventTooLarge,
    IdempotencyConflict,
    ObligationAlreadyAccepted,
    ObligationNoLongerTaken,
    UploadedFile,
    take_submission,
)
from cabinet_intake.tables import CheckedReceipt, KnownObligation, Submission, SubmissionReturn
from cabinet_intake.utf8_fields import Utf8FormRoute
from cabinet_intake.versions import KeepRefused, diff, version_out

router = APIRouter(
    prefix="/departments/{department_id}",
    tags=["submissions"],
    dependencies=[DEPARTMENT_MEMBERS],
    route_class=Utf8FormRoute,
)
NO_OBLIGATION = "No such obligation in this department"
NO_SUBMISSION = "No such submission in this department"


def _settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings
    return settings


async def _inspect(pool: BoundedPool, content: bytes, max_bytes: int) -> str | FileProblem:
    """inspect_file off the event loop, in a child process with the pool's memory, CPU and
    time limits: a file that exhausts them is refused as too complex."""
    settled = settled_at_first_look(content, max_bytes)
    if settled is not None:
        return settled
    try:
        return await pool.run(inspect_file, content, max_bytes)
    except TaskFailed:
        return too_complex()


async def _read_files(
    uploads: list[UploadFile], settings: IntakeSettings, store: EvidenceStore, pool: BoundedPool
) -> list[UploadedFile]:
    """Read and inspect every file before storing any, and refuse them all together if
    any is wrong, naming each one (1-based, in the order sent)."""
    if len(uploads) > settings.max_files_per_submission:
        raise Problem(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "TOO_MANY_FILES",
            f"Send at most {settings.max_files_per_submission} receipt files",
        )
    contents: list[tuple[str, bytes, str]] = []
    errors: list[ProblemItem] = []
    total = 0
    for number, upload in enumerate(uploads, start=1):
        content = await upload.read(settings.max_file_bytes + 1)
        name = display_name(upload.filename)
        total += len(content)
        checked = await _inspect(pool, content, settings.max_file_bytes)
        if isinstance(checked, FileProblem):
            errors.append(
                ProblemItem(
                    file=number,
                    file_name=name,
                    code=checked.code.value,
                    detail=f"{checked.message} ({name}, file {number})",
                )
            )
        else:
            contents.append((name, content, checked))
    if total > settings.max_submission_bytes:
        errors.append(
            ProblemItem(
                code=FileProblemCode.SUBMISSION_TOO_LARGE.value,
                detail="The selected files must be smaller than "
                f"{megabytes(settings.max_submission_bytes)} in total",
            )
        )
    if errors:
        raise refused(errors)
    return [
        UploadedFile(
            sha256=store.put(content),
            media_type=media_type,
            size_bytes=len(content),
            file_name=name,
        )
        for name, content, media_type in contents
    ]


# Answers intake cannot read are refused; a broken rule (a wrong total, pence where whole
# pounds are due, a missing receipt) is the receipts check's to flag, per line.
REFUSED_ANSWER_PROBLEMS = frozenset(
    {
        ProblemCode.REQUIRED,
        ProblemCode.NOT_A_NUMBER,
        ProblemCode.NOT_MONEY,
        ProblemCode.TOO_LARGE,
        ProblemCode.NEGATIVE,
        ProblemCode.NOT_A_DATE,
        ProblemCode.NOT_A_CHOICE,
        ProblemCode.DECLARATION_REQUIRED,
        ProblemCode.UNKNOWN_FIELD,
    }
)


async def _check_answers(
    session: DbSession, obligation: KnownObligation, body: SubmissionIn
) -> None:
    if not obligation.form_type_version:
        return  # opened before form type versions travelled with obligations
    async with session.begin():
        definition = await known_definition(
            session, obligation.department_id, obligation.form_type_id, obligation.form_type_version
        )
    if definition is None:
        raise Problem(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "FORM_NOT_AVAILABLE_YET",
            "The form for this obligation is not available yet; try again in a few seconds",
            headers={"Retry-After": "2"},
        )
    # Figures the form type derives are Cabinet's to compute: the version stored and sent on
    # holds them, so every later check and the caseworker see the same figures.
    body.answers.update(with_derived(definition, body.answers))
    problems = [
        p
        for p in check_answers(
            definition, body.answers, [(r.category, r.amount_pence) for r in body.receipts]
        )
        if p.code in REFUSED_ANSWER_PROBLEMS
    ]
    if problems:
        raise refused(
            [ProblemItem(field=p.field_id, code=p.code.value, detail=p.message) for p in problems]
        )


@router.post(
    "/obligations/{obligation_id}/submissions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmissionAccepted,
    responses=responses(
        {
            400: "A form field is not UTF-8 text (NOT_UTF8), or the form cannot be parsed",
            403: "Online: only the filer (or its filing software); paper: only a caseworker",
            404: "No such obligation in this department (or not this filer's)",
            409: "Key reused for a different submission, the obligation already accepted, "
            "or it can no longer be filed (its period is closed)",
            422: "The Idempotency-Key header is missing, the submission or its files are "
            "invalid, the receipts it keeps or drops are not receipts of the latest "
            "version that can be kept, or its answers and receipt details are too large "
            "to pass on (ANSWERS_TOO_LARGE)",
            503: "The obligation's form is not known here yet: try again (Retry-After)",
        }
    ),
)
async def submit(
    department_id: str,
    obligation_id: str,
    request: Request,
    response: Response,
    session: DbSession,
    submission: Annotated[
        str,
        Form(
            # FastAPI reads an empty form field as a missing one (422 REQUIRED): the schema
            # says so, rather than offering "" as a submission.
            min_length=1,
            description="JSON: answers, declared_total_pence, receipts (the lines of the files "
            "sent), for a resubmission keep_receipt_ids and drop_receipt_ids, and for a "
            'return keyed in from paper channel ("paper"): the caseworker keying it in is '
            "the token's subject",
        ),
    ],
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str,
        Header(
            min_length=1,
            max_length=200,
            description="A new key for each new submission; a retry with the same key and "
            "body answers as the first did",
        ),
    ],
    receipts: Annotated[
        list[UploadFile] | None, File(description="One file per receipt line")
    ] = None,
) -> SubmissionAccepted:
    # Counted by outcome; labels name the obligation's department and form type once it is
    # known to exist, so unknown paths cannot grow the series.
    department = form_type = "unknown"
    try:
        try:
            body = SubmissionIn.model_validate_json(submission)
        except ValidationError as error:
            raise validation_problem(
                error.errors(include_url=False, include_input=False)
            ) from error
        uploads = receipts or []
        if len(uploads) != len(body.receipts):
            raise Problem(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "FILES_DO_NOT_MATCH_LINES",
                f"Send one file per receipt line: {len(body.receipts)} line(s), "
                f"{len(uploads)} file(s)",
            )
        async with session.begin():
            obligation = await session.get(KnownObligation, obligation_id)
        if obligation is None or obligation.department_id != department_id:
            raise Problem(404, "NO_SUCH_OBLIGATION", NO_OBLIGATION)
        ensure_sees_filer(principal, obligation.filer_id, "NO_SUCH_OBLIGATION", NO_OBLIGATION)
        body.keyed_in_by(_keyed_by(principal, body))
        department, form_type = obligation.department_id, obligation.form_type_id
        await _check_answers(session, obligation, body)
        files = await _read_files(
            uploads, _settings(request), request.app.state.evidence, request.app.state.file_checks
        )
        try:
            accepted, created = await _take_with_one_retry(
                session,
                obligation,
                body,
                files,
                idempotency_key,
                _settings(request).kafka_max_event_bytes,
            )
        except IdempotencyConflict as error:
            raise Problem(
                status.HTTP_409_CONFLICT,
                "IDEMPOTENCY_KEY_REUSED",
                f"Idempotency-Key {idempotency_key!r} was already used for a different submission "
                "to this obligation; use a new key for a new version",
            ) from error
        except ObligationAlreadyAccepted as error:
            raise Problem(
                status.HTTP_409_CONFLICT,
                "ALREADY_ACCEPTED",
                f"This obligation was already accepted (acknowledgement {error.reference})",
            ) from error
        except EventTooLarge as error:
            raise Problem(
                422,
                "ANSWERS_TOO_LARGE",
                f"The answers and receipt details come to {error.size:,} bytes, over the"
                f" {error.limit:,} Cabinet can pass on; shorten the longest answers",
            ) from error
        except ObligationNoLongerTaken as error:
            raise _no_longer_taken(error) from error
        except KeepRefused as error:
            raise refused(
                [
                    ProblemItem(receipt_id=p.receipt_id, code=p.code.value, detail=p.message)
                    for p in error.problems
                ]
            ) from error
    except Problem as refusal:
        SUBMISSIONS.labels(department, form_type, _refusal_outcome(refusal)).inc()
        raise
    SUBMISSIONS.labels(department, form_type, "accepted" if created else "replayed").inc()
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return accepted


def _keyed_by(principal: Principal, body: SubmissionIn) -> str | None:
    """Who keyed in a paper return: the caseworker the token names, never the body. Online
    returns come from the filer itself (or a machine identity acting for Cabinet)."""
    if body.channel == "paper":
        if not principal.has(CASEWORK):
            raise Problem(
                403, "PAPER_NEEDS_A_CASEWORKER", "Only a caseworker keys in a paper return"
            )
        return principal.subject
    if principal.role not in (Role.FILER, Role.SERVICE):
        raise Problem(
            403,
            "ONLINE_NEEDS_THE_FILER",
            'Only the filer sends a return online; a caseworker keys in paper ones ("channel": '
            '"paper")',
        )
    return None


def _refusal_outcome(refusal: Problem) -> str:
    return {
        status.HTTP_404_NOT_FOUND: "refused_unknown_obligation",
        status.HTTP_409_CONFLICT: "refused_conflict",
    }.get(refusal.status, "refused_invalid")


def _no_longer_taken(error: ObligationNoLongerTaken) -> Problem:
    # From the exception: the obligation row expired when its transaction rolled back.
    if error.settled_status == ObligationStatus.WAIVED:
        return Problem(
            status.HTTP_409_CONFLICT,
            "OBLIGATION_WAIVED",
            "This return no longer needs to be sent: a caseworker waived it",
        )
    return Problem(
        status.HTTP_409_CONFLICT,
        "OBLIGATION_CLOSED",
        f"This return can no longer be sent: the period {error.period_key} has closed "
        "without an accepted return",
    )


async def _take_with_one_retry(
    session: DbSession,
    obligation: KnownObligation,
    body: SubmissionIn,
    files: list[UploadedFile],
    key: str,
    max_event_bytes: int,
) -> tuple[SubmissionAccepted, bool]:
    # Submissions for one obligation take turns on its row (FOR UPDATE; on SQLite the
    # transaction holds the database's write lock): a concurrent request with the same key
    # then finds the first one's version, one for the next version sees it as the latest.
    # The unique constraints stay the last word: a loser of a race they catch retries once.
    try:
        async with session.begin():
            await session.refresh(obligation, with_for_update=True)
            return await take_submission(session, obligation, body, files, key, max_event_bytes)
    except IntegrityError:
        async with session.begin():
            await session.refresh(obligation, with_for_update=True)
            return await take_submission(session, obligation, body, files, key, max_event_bytes)


@router.get(
    "/obligations/{obligation_id}",
    response_model=ObligationOut,
    responses=responses({404: "No such obligation in this department"}),
)
async def get_obligation(
    department_id: str, obligation_id: str, session: DbSession, principal: CurrentPrincipal
) -> ObligationOut:
    """What is due and when, and the submission made for it so far."""
    obligation = await session.get(KnownObligation, obligation_id)
    if obligation is None or obligation.department_id != department_id:
        raise Problem(404, "NO_SUCH_OBLIGATION", NO_OBLIGATION)
    ensure_sees_filer(principal, obligation.filer_id, "NO_SUCH_OBLIGATION", NO_OBLIGATION)
    submission = await session.scalar(
        select(Submission).where(Submission.obligation_id == obligation_id)
    )
    return ObligationOut(
        obligation_id=obligation.obligation_id,
        filer_id=obligation.filer_id,
        form_type_id=obligation.form_type_id,
        period_key=obligation.period_key,
        period_start=obligation.period_start,
        period_end=obligation.period_end,
        due_date=obligation.due_date,
        submission_id=submission.submission_id if submission else None,
        current_version=submission.current_version if submission else None,
        acknowledgement_reference=obligation.acknowledgement_reference,
        settled_status=obligation.settled_status,
    )


async def _submission(
    session: DbSession, principal: Principal, department_id: str, submission_id: str
) -> Submission:
    found = (
        await session.execute(
            select(Submission, KnownObligation.filer_id)
            .join(KnownObligation, KnownObligation.obligation_id == Submission.obligation_id)
            .where(
                Submission.submission_id == submission_id,
                Submission.department_id == department_id,
            )
        )
    ).first()
    if found is None:
        raise Problem(404, "NO_SUCH_SUBMISSION", NO_SUBMISSION)
    submission, filer_id = found
    ensure_sees_filer(principal, filer_id, "NO_SUCH_SUBMISSION", NO_SUBMISSION)
    return submission


async def _versions(
    session: DbSession, principal: Principal, department_id: str, submission_id: str
) -> tuple[Submission, list[VersionOut]]:
    """The submission and each of its versions with what its returns said about it, and
    what its checks flagged and read on each receipt."""
    async with session.begin():
        submission = await _submission(session, principal, department_id, submission_id)
        returns = (
            await session.scalars(
                select(SubmissionReturn).where(SubmissionReturn.submission_id == submission_id)
            )
        ).all()
        checks = (
            await session.scalars(
                select(CheckedReceipt).where(CheckedReceipt.submission_id == submission_id)
            )
        ).all()
    return submission, [version_out(v, returns, checks) for v in submission.versions]


@router.get(
    "/submissions/{submission_id}",
    response_model=SubmissionOut,
    responses=responses({404: "No such submission in this department"}),
)
async def get_submission(
    department_id: str, submission_id: str, session: DbSession, principal: CurrentPrincipal
) -> SubmissionOut:
    """Every version, each receipt saying whether a return sent it back and why."""
    submission, versions = await _versions(session, principal, department_id, submission_id)
    return SubmissionOut(
        submission_id=submission.submission_id,
        obligation_id=submission.obligation_id,
        current_version=submission.current_version,
        versions=versions,
    )


@router.get(
    "/submissions/{submission_id}/diff",
    response_model=SubmissionDiff,
    responses=responses(
        {
            404: "No such submission, or no such version of it",
            422: "`from` or `to` missing or not a version number",
        }
    ),
)
async def get_submission_diff(
    department_id: str,
    submission_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    from_version: Annotated[
        int, Query(alias="from", ge=1, le=MAX_INTEGER, description="A version number")
    ],
    to_version: Annotated[
        int, Query(alias="to", ge=1, le=MAX_INTEGER, description="A version number")
    ],
) -> SubmissionDiff:
    """What changed between two versions (in either order): answers and the declared total
    (before and after), receipts kept, removed and added, each with its line; a removed
    receipt says whether it had been returned and why."""
    submission, versions = await _versions(session, principal, department_id, submission_id)
    by_number = {v.version: v for v in versions}
    missing = [n for n in (from_version, to_version) if n not in by_number]
    if missing:
        raise Problem(
            status.HTTP_404_NOT_FOUND,
            "NO_SUCH_VERSION",
            f"Submission {submission_id} has no version {missing[0]} "
            f"(its versions are 1 to {submission.current_version})",
        )
    return diff(submission_id, by_number[from_version], by_number[to_version])


@router.get(
    "/submissions/{submission_id}/receipts/{receipt_id}/file",
    response_class=Response,
    responses={
        200: {"content": {media_type: {} for media_type in ACCEPTED_MEDIA_TYPES}},
        **responses({404: "No such submission in this department, or no such receipt of it"}),
    },
)
async def get_receipt_file(
    department_id: str,
    submission_id: str,
    receipt_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    """A receipt's file as it was sent, to view in the browser: the media type found from
    its content when it was taken, shown inline under its display name."""
    async with session.begin():
        submission = await _submission(session, principal, department_id, submission_id)
    # A kept receipt is the same file under every version that has it.
    stored = next(
        (r for v in submission.versions for r in v.receipts if r.receipt_id == receipt_id), None
    )
    if stored is None:
        raise Problem(
            status.HTTP_404_NOT_FOUND,
            "NO_SUCH_RECEIPT",
            f"Submission {submission_id} has no receipt {receipt_id}",
        )
    store: EvidenceStore = request.app.state.evidence
    return Response(
        store.read(stored.file_sha256),
        media_type=stored.media_type,
        headers={
            "Content-Disposition": inline_disposition(stored.file_name),
            "X-Content-Type-Options": "nosniff",
        },
    )
