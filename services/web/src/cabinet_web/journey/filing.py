"""Everything a journey page needs about one return: the obligation (cycles: status, due
date; intake: its submission), the form's definition, the latest version sent and what
its return said, and the draft in progress, if any.

A return is in one of four states:
  new      nothing sent yet: the filer answers, adds receipts and sends
  correct  the latest version was returned: the filer corrects it and sends again
  sent     a version is with Cabinet (being checked, or accepted): nothing to do
  closed   nothing was sent and no more can be (waived, or the period closed)"""

import asyncio
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cabinet_common.form_types.definition import FormTypeDefinition
from cabinet_web import drafts
from cabinet_web.accounts import Role
from cabinet_web.answers_form import Page, question_pages
from cabinet_web.backend import Backend, DepartmentApi, NotFound, segment
from cabinet_web.filer_register import filer_name, own_name
from cabinet_web.journey.definitions import obligation_form, period_words
from cabinet_web.journey.lane import Lane
from cabinet_web.obligations import SETTLED, intake_obligation
from cabinet_web.sessions import CurrentUser
from cabinet_web.tables import Draft, DraftReceipt


@dataclass
class Filing:
    lane: Lane
    user: CurrentUser
    obligation: dict[str, Any]  # cycles' obligation
    submission_id: str | None
    acknowledgement_reference: str | None
    form_type_version: int
    definition: FormTypeDefinition
    latest: dict[str, Any] | None  # intake's latest version of the submission
    draft: Draft | None  # the draft in progress (None: nothing saved yet)
    filer_name: str
    # A draft started before the submission moved on: pages ignore it; the next change
    # (a POST) deletes it before it starts a new one.
    stale_draft: Draft | None = None

    @property
    def obligation_id(self) -> str:
        return str(self.obligation["obligation_id"])

    @property
    def base(self) -> str:
        return self.lane.base(self.obligation_id)

    @property
    def mode(self) -> str:
        status = self.obligation["status"]
        if self.latest is None:
            return "closed" if status in SETTLED else "new"
        if self.acknowledgement_reference or status in SETTLED:
            return "sent"
        return "correct" if self.latest.get("returned") else "sent"

    @property
    def can_send(self) -> bool:
        return self.mode in ("new", "correct")

    @property
    def period(self) -> str:
        return period_words(self.obligation["period_start"], self.obligation["period_end"])

    @property
    def title(self) -> str:
        """ "VAT return for October to December 2026"."""
        return f"{self.definition.name} for {self.period}"

    @cached_property
    def pages(self) -> list[Page]:
        return question_pages(self.definition)

    # What the draft holds, or would hold if it were made now.

    @property
    def answers(self) -> dict[str, str]:
        if self.draft is not None:
            return dict(self.draft.answers)
        if self.mode == "correct" and self.latest is not None:
            # The declaration is made afresh for every version sent.
            declarations = {f.id for f in self.definition.fields if f.kind == "declaration"}
            return {k: v for k, v in self.latest["answers"].items() if k not in declarations}
        return {}

    @property
    def keep_receipt_ids(self) -> list[str]:
        if self.draft is not None:
            return list(self.draft.keep_receipt_ids)
        return [r["receipt_id"] for r in self.keepable_receipts]

    @property
    def added_receipts(self) -> list[DraftReceipt]:
        return drafts.added_receipts(self.draft) if self.draft is not None else []

    @property
    def pending_file(self) -> DraftReceipt | None:
        return drafts.pending_file(self.draft) if self.draft is not None else None

    # The latest version's receipts (a correction).

    @property
    def latest_receipts(self) -> list[dict[str, Any]]:
        if self.mode != "correct" or self.latest is None:
            return []
        return list(self.latest["receipts"])

    @property
    def returned_receipts(self) -> list[dict[str, Any]]:
        return [r for r in self.latest_receipts if r.get("returned")]

    @property
    def keepable_receipts(self) -> list[dict[str, Any]]:
        return [r for r in self.latest_receipts if not r.get("returned")]

    @property
    def kept_receipts(self) -> list[dict[str, Any]]:
        keep = set(self.keep_receipt_ids)
        return [r for r in self.keepable_receipts if r["receipt_id"] in keep]

    @property
    def left_out_receipts(self) -> list[dict[str, Any]]:
        keep = set(self.keep_receipt_ids)
        return [r for r in self.keepable_receipts if r["receipt_id"] not in keep]

    @property
    def return_reasons(self) -> list[dict[str, Any]]:
        """Why the latest version came back, about the whole of it (some name a field)."""
        if self.mode != "correct" or self.latest is None:
            return []
        return list(self.latest.get("return_reasons", []))

    def receipt_lines(self) -> list[tuple[str, int]]:
        """(category, pence) of every receipt the next version would have."""
        return [(r["category"], r["amount_pence"]) for r in self.kept_receipts] + [
            (r.category, r.amount_pence) for r in self.added_receipts
        ]

    def receipts_total(self) -> int:
        return sum(pence for _, pence in self.receipt_lines())

    def draft_start(self) -> drafts.DraftStart:
        return drafts.DraftStart(
            obligation_id=self.obligation_id,
            department_id=self.user.department_id,
            channel=self.lane.channel,
            filer_id=str(self.obligation["filer_id"]),
            filer_name=self.filer_name,
            form_type_id=str(self.obligation["form_type_id"]),
            form_type_version=self.form_type_version,
            based_on_version=self._based_on(),
            answers=self.answers,
            keep_receipt_ids=self.keep_receipt_ids,
            keyed_by=self._keyed_by(),
        )

    def _based_on(self) -> int | None:
        return int(self.latest["version"]) if self.mode == "correct" and self.latest else None

    def _keyed_by(self) -> str | None:
        return self.user.user_id if self.lane.channel == "paper" else None

    def draft_is_current(self, draft: Draft) -> bool:
        """A draft belongs to the state it was started in: once the submission moves on
        (it was sent, or sent again elsewhere), the draft is stale."""
        return self.can_send and draft.based_on_version == self._based_on()

    async def discard_stale_draft(self, session: AsyncSession) -> None:
        """Delete the stale draft, if any (call inside a transaction)."""
        if self.stale_draft is not None:
            await drafts.delete_draft(session, self.stale_draft.draft_id)
            self.stale_draft = None

    async def ensure_draft(self, session: AsyncSession) -> Draft:
        """The draft, made now if there is none (call inside a transaction)."""
        if self.draft is None:
            await self.discard_stale_draft(session)
            self.draft = await _new_draft(session, self.draft_start())
        drafts.touch(self.draft, self._keyed_by())
        return self.draft


async def _new_draft(session: AsyncSession, start: drafts.DraftStart) -> Draft:
    """A new draft; or, when another request made it a moment before (two first saves
    at once: a double click, or two tabs), that one."""
    draft = drafts.new_draft(start)
    try:
        async with session.begin_nested():
            session.add(draft)
    except IntegrityError:
        # The savepoint is rolled back (the draft not added); the transaction goes on.
        existing = await drafts.find_draft(session, start.obligation_id, start.channel)
        if existing is None:
            raise
        return existing
    return draft


async def load_filing(
    backend: Backend,
    session: AsyncSession,
    lane: Lane,
    user: CurrentUser,
    obligation_id: str,
) -> Filing:
    """The return, or NotFound if the obligation is not one this user may open."""
    cycles = backend.cycles(user.department_id)
    intake = backend.intake(user.department_id)
    obligation, known = await asyncio.gather(
        cycles.get(f"/obligations/{segment(obligation_id)}"),
        intake_obligation(intake, obligation_id),
    )
    if not lane.may_open(user, obligation):
        raise NotFound(obligation_id)
    submission_id = known.get("submission_id") if known else None
    latest_task = _latest_version(intake, submission_id)
    form_task = obligation_form(cycles, user.department_id, obligation)
    latest, (version, definition) = await asyncio.gather(latest_task, form_task)
    async with session.begin():
        draft = await drafts.find_draft(session, obligation_id, lane.channel)
    filing = Filing(
        lane=lane,
        user=user,
        obligation=obligation,
        submission_id=submission_id,
        acknowledgement_reference=known.get("acknowledgement_reference") if known else None,
        form_type_version=version,
        definition=definition,
        latest=latest,
        draft=None,
        filer_name="",
    )
    if draft is not None and not filing.draft_is_current(draft):
        filing.stale_draft, draft = draft, None  # deleted by the next change, not by a GET
    filing.draft = draft
    if draft is not None:
        filing.filer_name = draft.filer_name
    else:
        filer_id = str(obligation["filer_id"])
        names = own_name if user.role is Role.FILER else filer_name
        filing.filer_name = await names(backend, user.department_id, filer_id)
    return filing


async def _latest_version(
    intake: DepartmentApi, submission_id: str | None
) -> dict[str, Any] | None:
    if not submission_id:
        return None
    submission = await intake.get(f"/submissions/{segment(submission_id)}")
    versions: list[dict[str, Any]] = submission["versions"]
    return versions[-1] if versions else None
