"""Inputs of the obligation workflow's activities."""

from datetime import datetime

from cabinet_common.obligation_workflow import (
    Acknowledgement,
    ObligationInput,
    ReceiptsCheckedSignal,
)
from pydantic import BaseModel


class AcknowledgementNotice(BaseModel):
    obligation: ObligationInput
    acknowledgement: Acknowledgement


class ReturnNotice(BaseModel):
    obligation: ObligationInput
    checked: ReceiptsCheckedSignal
    returned_at: datetime
