"""Reading a filer register from CSV: every row checked, each problem reported against the
row a spreadsheet would show (the header is row 1)."""

from hypothesis import given
from hypothesis import strategies as st

from cabinet_cycles.filer_import import FilerRow, RowProblem, read_register

KNOWN = {"vat-return", "expenses"}
HEADER = "filer_id,name,contact_email,form_type_ids\n"


def read(text: str) -> tuple[list[FilerRow], list[RowProblem]]:
    register = read_register(text.encode(), KNOWN)
    return register.filers, register.problems


def test_a_good_register_is_read_in_full() -> None:
    filers, problems = read(
        HEADER
        + "acme-ltd,Acme Ltd,returns@acme.example,vat-return\n"
        + '"birch-and-co"," Birch & Co, Ltd ",Returns@Birch.Example,vat-return; expenses;\n'
    )
    assert problems == []
    assert filers == [
        FilerRow(2, "acme-ltd", "Acme Ltd", "returns@acme.example", ["vat-return"]),
        FilerRow(
            3,
            "birch-and-co",
            "Birch & Co, Ltd",
            "Returns@birch.example",
            ["vat-return", "expenses"],
        ),
    ]


def test_columns_may_come_in_any_order_with_a_byte_order_mark_and_blank_rows() -> None:
    content = (
        "\ufeffname,form_type_ids,contact_email,filer_id\r\n"
        "\r\n"
        "Acme Ltd,expenses,returns@acme.example,acme-ltd\r\n"
    ).encode()
    register = read_register(content, KNOWN)
    assert register.problems == []
    assert register.filers == [
        FilerRow(3, "acme-ltd", "Acme Ltd", "returns@acme.example", ["expenses"])
    ]


def test_every_bad_row_is_reported_with_every_reason() -> None:
    filers, problems = read(
        HEADER
        + "acme-ltd,Acme Ltd,returns@acme.example,vat-return\n"
        + "Birch & Co,,not-an-email,vat-return;payroll\n"
        + "cobalt,Cobalt,returns@cobalt.example,\n"
        + "acme-ltd,Acme again,other@acme.example,expenses\n"
        + "dune,Dune\n"
        + ",Nameless,x@nameless.example,expenses\n"
    )
    assert problems == [
        RowProblem(
            row=3,
            filer_id="Birch & Co",
            errors=[
                "Filer id 'Birch & Co' must be lower-case letters, digits and hyphens, "
                "like acme-ltd",
                "Enter a name",
                "Contact email 'not-an-email' must be an email address, like returns@acme.example",
                "There is no form type 'payroll' in this department",
            ],
        ),
        RowProblem(row=4, filer_id="cobalt", errors=["Enter at least one form type id"]),
        RowProblem(row=5, filer_id="acme-ltd", errors=["Filer id acme-ltd is already on row 2"]),
        RowProblem(row=6, filer_id=None, errors=["The row has 2 values; the header has 4"]),
        RowProblem(row=7, filer_id=None, errors=["Enter a filer id"]),
    ]
    assert [f.filer_id for f in filers] == ["acme-ltd"]


def test_a_quoted_value_over_several_lines_is_one_row() -> None:
    _, problems = read(
        HEADER + '"acme-ltd","Acme\nLtd",nope,vat-return\nbad id,B,b@b.example,vat-return\n'
    )
    assert [(p.row, p.filer_id) for p in problems] == [(2, "acme-ltd"), (3, "bad id")]


def test_a_header_without_the_columns_is_refused_at_row_1() -> None:
    _, problems = read("filer,name,email,form_type_ids,phone\nacme-ltd,Acme,a@acme.example,x,1\n")
    assert problems == [
        RowProblem(
            row=1,
            filer_id=None,
            errors=[
                "Missing column filer_id",
                "Missing column contact_email",
                "Unknown column 'filer'",
                "Unknown column 'email'",
                "Unknown column 'phone'",
            ],
        )
    ]


def test_an_empty_file_or_one_with_only_a_header_is_refused() -> None:
    assert read("")[1][0].errors == ["The file is empty: it needs a header row and a row per filer"]
    assert read(HEADER)[1][0].errors == [
        "The file lists no filers: add a row per filer under the header"
    ]


def test_a_file_that_is_not_utf8_is_refused_at_the_row_with_the_bad_byte() -> None:
    content = (HEADER + "acme-ltd,Acme,a@acme.example,vat-return\n").encode() + b"caf\xe9,x,y,z\n"
    register = read_register(content, KNOWN)
    assert register.problems == [
        RowProblem(
            row=3, filer_id=None, errors=["The file must be saved as UTF-8 text (CSV UTF-8)"]
        )
    ]


def test_broken_csv_quoting_is_refused_at_its_row() -> None:
    _, problems = read(
        HEADER + "acme-ltd,Acme,a@acme.example,vat-return\n" + 'b,"B"x,b@b.example,y\n'
    )
    assert [(p.row, p.errors[0].split(":")[0]) for p in problems] == [
        (3, "This row is not valid CSV")
    ]


slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)


@given(filer_ids=st.lists(slugs, min_size=1, max_size=20))
def test_a_repeated_filer_id_is_reported_on_every_repeat(filer_ids: list[str]) -> None:
    rows = "".join(f"{f},Name,a@b.example,vat-return\n" for f in filer_ids)
    filers, problems = read(HEADER + rows)
    repeats = len(filer_ids) - len(set(filer_ids))
    assert len(problems) == repeats
    assert len(filers) == len(set(filer_ids))
    assert all(p.errors[0].startswith(f"Filer id {p.filer_id} is already on row") for p in problems)
