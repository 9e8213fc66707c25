"""A receipt's reading (cabinet.receipts.v1.ReceiptReading) as the APIs show it: the
receipts service on its checks, intake on each receipt of a submission."""

import datetime as dt

from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel, Field

from cabinet.receipts.v1 import events_pb2 as receipts_pb2


class FoundAmountOut(BaseModel):
    pence: int
    start: int
    end: int
    total: bool = False
    matches_line: bool = False


class FoundDateOut(BaseModel):
    date: dt.date
    start: int
    end: int
    matches_line: bool = False


class ReadingOut(BaseModel):
    """What the receipt's document says, as the receipts service read it (form types that
    read receipts): positions are character offsets in `text`."""

    readable: bool = False
    method: str = ""
    text: str = ""
    amounts: list[FoundAmountOut] = Field(default_factory=list)
    dates: list[FoundDateOut] = Field(default_factory=list)
    payee: str = ""
    confidence: float = 0.0
    rotation: int = 0
    problem: str = ""
    claimed_pence: int = 0


def reading_out(reading: receipts_pb2.ReceiptReading) -> ReadingOut:
    return ReadingOut.model_validate(MessageToDict(reading, preserving_proto_field_name=True))
