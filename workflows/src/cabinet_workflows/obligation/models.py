"""Inputs of the obligation workflow's activities."""

from datetime import datetime

from pydantic import BaseModel

from cabinet_common.obligation_workflow import (
    Acknowledgement,
    ObligationInput,
    ReceiptsCheckedSignal,
)


class AcknowledgementNotice(BaseModel):
    obligation: ObligationInput
    acknowledgement: Acknowledgement


class ReturnNotice(BaseModel):
    obligation: ObligationInput
    checked: ReceiptsCheckedSignal
    returned_at: datetime
