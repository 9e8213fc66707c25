"""Reading a filer register from CSV and checking every row, before anything is written.

The file is UTF-8 (a spreadsheet's byte-order mark is fine) with a header row naming the
columns filer_id, name, contact_email and form_type_ids, in any order; form type ids are
separated by semicolons. Rows are numbered as a spreadsheet numbers them: the header is
row 1. Blank rows are skipped."""

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass

from pydantic import BaseModel, EmailStr, TypeAdapter, ValidationError

from cabinet_common.identifiers import ID

COLUMNS = ("filer_id", "name", "contact_email", "form_type_ids")
FORM_TYPE_SEPARATOR = ";"
# Words of the register's own routes (/filers/import), never a filer id.
RESERVED_FILER_IDS = frozenset({"import"})
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class FilerRow:
    row: int
    filer_id: str
    name: str
    contact_email: str
    form_type_ids: list[str]


class RowProblem(BaseModel):
    row: int
    filer_id: str | None
    errors: list[str]


@dataclass(frozen=True)
class Register:
    filers: list[FilerRow]
    problems: list[RowProblem]


class _Unreadable(ValueError):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row


def read_register(content: bytes, known_form_type_ids: Collection[str]) -> Register:
    try:
        records = _records(content)
    except _Unreadable as error:
        return _refused(error.row, str(error))
    if not records:
        return _refused(1, "The file is empty: it needs a header row and a row per filer")
    (_, header), *rows = records
    columns = [cell.strip() for cell in header]
    if header_errors := _header_errors(columns):
        return _refused(1, *header_errors)
    filers: list[FilerRow] = []
    problems: list[RowProblem] = []
    first_row_of: dict[str, int] = {}
    for row, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            message = f"The row has {len(cells)} values; the header has {len(columns)}"
            problems.append(RowProblem(row=row, filer_id=None, errors=[message]))
            continue
        values = {column: cell.strip() for column, cell in zip(columns, cells, strict=True)}
        errors = _row_errors(values, known_form_type_ids)
        filer_id = values["filer_id"]
        if filer_id in first_row_of:
            errors.append(f"Filer id {filer_id} is already on row {first_row_of[filer_id]}")
        elif filer_id:
            first_row_of[filer_id] = row
        if errors:
            problems.append(RowProblem(row=row, filer_id=filer_id or None, errors=errors))
        else:
            filers.append(_filer(row, values))
    if not filers and not problems:
        return _refused(1, "The file lists no filers: add a row per filer under the header")
    return Register(filers=filers, problems=problems)


def _records(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = content[: error.start].count(b"\n") + 1
        raise _Unreadable(row, "The file must be saved as UTF-8 text (CSV UTF-8)") from error
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row, cells in enumerate(reader, start=1):
            records.append((row, cells))
    except csv.Error as error:
        raise _Unreadable(len(records) + 1, f"This row is not valid CSV: {error}") from error
    return records


def _header_errors(columns: list[str]) -> list[str]:
    errors = [f"Missing column {column}" for column in COLUMNS if column not in columns]
    errors += [f"Unknown column {column!r}" for column in columns if column not in COLUMNS]
    errors += [f"Column {column} appears twice" for column in COLUMNS if columns.count(column) > 1]
    return errors


def _row_errors(values: dict[str, str], known_form_type_ids: Collection[str]) -> list[str]:
    errors: list[str] = []
    filer_id, name, email = values["filer_id"], values["name"], values["contact_email"]
    if not filer_id:
        errors.append("Enter a filer id")
    elif ID.fullmatch(filer_id) is None:
        errors.append(
            f"Filer id {filer_id!r} must be lower-case letters, digits and hyphens, like acme-ltd"
        )
    elif filer_id in RESERVED_FILER_IDS:
        errors.append(f"Filer id {filer_id!r} is a word Cabinet keeps for itself: choose another")
    if not name:
        errors.append("Enter a name")
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(f"Name must be {MAX_NAME_LENGTH} characters or fewer")
    if not email:
        errors.append("Enter a contact email")
    elif _email(email) is None:
        errors.append(
            f"Contact email {email!r} must be an email address, like returns@acme.example"
        )
    form_type_ids = _form_type_ids(values["form_type_ids"])
    if not form_type_ids:
        errors.append("Enter at least one form type id")
    errors += [
        f"There is no form type {form_type_id!r} in this department"
        for form_type_id in form_type_ids
        if form_type_id not in known_form_type_ids
    ]
    return errors


def _filer(row: int, values: dict[str, str]) -> FilerRow:
    return FilerRow(
        row=row,
        filer_id=values["filer_id"],
        name=values["name"],
        contact_email=_email(values["contact_email"]) or "",
        form_type_ids=_form_type_ids(values["form_type_ids"]),
    )


def _email(text: str) -> str | None:
    """The address as pydantic's EmailStr normalises it, or None if it is not one."""
    try:
        return _EMAIL.validate_python(text)
    except ValidationError:
        return None


def _form_type_ids(text: str) -> list[str]:
    """In order, each once; blank entries (a trailing semicolon) are ignored."""
    parts = (part.strip() for part in text.split(FORM_TYPE_SEPARATOR))
    return list(dict.fromkeys(part for part in parts if part))


def _refused(row: int, *errors: str) -> Register:
    return Register(filers=[], problems=[RowProblem(row=row, filer_id=None, errors=list(errors))])
