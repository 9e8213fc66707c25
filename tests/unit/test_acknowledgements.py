"""The acknowledgement: a 12-digit reference with a Luhn check digit; a signed canonical
document that fails verification when any byte changes; HTML and PDF renderings that are
the same bytes every time; and the cabinet-ack CLI."""

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from cabinet.common.v1 import types_pb2
from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet_common.references import (
    acknowledgement_reference,
    is_valid_reference,
    luhn_check_digit,
)
from cabinet_common.signing import Signer, generate_seed, public_key_text
from cabinet_cycles.acknowledgements import (
    acknowledgement_body,
    render_html,
    render_pdf,
    signed_document,
    signed_json_of,
    verify_document,
)
from cabinet_cycles.acknowledgements_cli import main as cabinet_ack
from cabinet_cycles.event_handlers import acknowledgement_document

SIGNER = Signer.from_config(generate_seed())
OTHER_SIGNER = Signer.from_config(generate_seed())


def issued(
    version: int = 1, channel: str = "", keyed_by: str = ""
) -> obligations_pb2.AcknowledgementIssued:
    event = obligations_pb2.AcknowledgementIssued(
        obligation=types_pb2.ObligationRef(
            obligation_id="obligation-1",
            department_id="demo",
            form_type_id="vat-return",
            filer_id="filer-a",
            period_key="2026-Q1",
        ),
        submission_id="submission-1",
        version=version,
        reference=acknowledgement_reference("obligation-1", "submission-1", version),
        submission_sha256="ab" * 32,
        channel=channel,
        keyed_by=keyed_by,
    )
    event.processed_at.FromJsonString("2026-03-29T01:30:00.250Z")
    return event


DOCUMENT = acknowledgement_document(issued(), SIGNER)


PAPER_DOCUMENT = acknowledgement_document(issued(channel="paper", keyed_by="caseworker-1"), SIGNER)
PAPER_LINE = "Received on paper, keyed by caseworker-1"


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_luhn_check_digit_known_values() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_check_digit("0000000000") == "0"
    assert is_valid_reference("79927398713".rjust(12, "0"))


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_every_single_digit_mistake_is_caught(body: str) -> None:
    reference = body + luhn_check_digit(body)
    assert is_valid_reference(reference)
    for position in range(12):
        for digit in "0123456789":
            if digit != reference[position]:
                changed = reference[:position] + digit + reference[position + 1 :]
                assert not is_valid_reference(changed)


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40), st.integers(1, 999))
def test_references_are_twelve_digits_deterministic_and_checked(
    obligation: str, submission: str, version: int
) -> None:
    reference = acknowledgement_reference(obligation, submission, version)
    assert len(reference) == 12 and reference.isdigit()
    assert is_valid_reference(reference)
    assert reference == acknowledgement_reference(obligation, submission, version)


def test_the_document_holds_what_was_accepted_and_verifies() -> None:
    document = json.loads(DOCUMENT)
    assert document["reference"] == issued().reference
    assert document["processed_at"] == "2026-03-29T01:30:00.250000Z"
    assert document["version"] == 1
    assert document["submission_sha256"] == "ab" * 32
    assert document["obligation"]["obligation_id"] == "obligation-1"
    assert document["signature"]["algorithm"] == "Ed25519"
    assert document["signature"]["key_id"] == SIGNER.key_id
    assert verify_document(DOCUMENT, SIGNER.public_key).genuine


def test_the_document_is_the_same_bytes_when_made_again() -> None:
    # Ed25519 is deterministic: a redelivered event after a crash makes the same bytes.
    assert acknowledgement_document(issued(), SIGNER) == DOCUMENT


def test_verification_fails_on_any_changed_byte() -> None:
    for position in range(len(DOCUMENT)):
        for flip in (0x01, 0x20):
            altered = bytearray(DOCUMENT)
            altered[position] ^= flip
            if bytes(altered) == DOCUMENT:
                continue
            result = verify_document(bytes(altered), SIGNER.public_key)
            assert not result.genuine, f"byte {position} ^ {flip:#x} went unnoticed"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d + b"\n",
        lambda d: b" " + d,
        lambda d: d.replace(b'"version":1', b'"version":2'),
        lambda d: d.replace(b'{"document"', b'{"extra":1,"document"'),
        lambda d: json.dumps(json.loads(d), indent=2).encode(),
        lambda d: d[:-1],
    ],
)
def test_reformatted_or_edited_documents_are_not_genuine(change: object) -> None:
    assert callable(change)
    assert not verify_document(change(DOCUMENT), SIGNER.public_key).genuine


def test_another_key_or_no_signature_is_not_genuine() -> None:
    other = verify_document(DOCUMENT, OTHER_SIGNER.public_key)
    assert not other.genuine
    assert any("another key" in p for p in other.problems)
    unsigned = signed_document(acknowledgement_body(issued()), None)
    result = verify_document(unsigned, SIGNER.public_key)
    assert result.problems == ["not signed: the document has no signature"]
    assert not verify_document(b"%PDF-garbage", SIGNER.public_key).genuine


def test_html_and_pdf_are_the_same_bytes_every_time() -> None:
    assert render_html(DOCUMENT) == render_html(DOCUMENT)
    page = render_html(DOCUMENT).decode()
    assert issued().reference in page
    assert "<script" not in page
    first, second = render_pdf(DOCUMENT), render_pdf(DOCUMENT)
    assert first == second
    assert first.startswith(b"%PDF-")
    assert signed_json_of(first) == DOCUMENT  # the signed document rides along
    assert verify_document(signed_json_of(first), SIGNER.public_key).genuine


def test_hostile_values_are_escaped_in_html() -> None:
    event = issued()
    event.obligation.filer_id = "<script>alert(1)</script>"
    page = render_html(acknowledgement_document(event, SIGNER)).decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


def test_cli_says_genuine_or_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = public_key_text(SIGNER.public_key)
    good = tmp_path / "ack.json"
    good.write_bytes(DOCUMENT)
    assert cabinet_ack(["verify", str(good), "--public-key", key]) == 0
    assert f"OK: acknowledgement {issued().reference} is genuine" in capsys.readouterr().out

    pdf = tmp_path / "ack.pdf"
    pdf.write_bytes(render_pdf(DOCUMENT))
    assert cabinet_ack(["verify", str(pdf), "--public-key", key]) == 0

    bad = tmp_path / "bad.json"
    bad.write_bytes(DOCUMENT.replace(b'"version":1', b'"version":7'))
    assert cabinet_ack(["verify", str(bad), "--public-key", key]) == 1
    assert "NOT GENUINE: altered: the signature does not match" in capsys.readouterr().out

    assert cabinet_ack(["verify", str(good), "--public-key", "not-a-key"]) == 2


def test_an_online_document_is_what_it_was_before_paper_returns() -> None:
    # The fields an acknowledgement had before channels: documents issued then, and
    # online ones issued now, are the same shape (and the older ones still verify).
    assert set(json.loads(DOCUMENT)) == {
        "document",
        "obligation",
        "processed_at",
        "reference",
        "signature",
        "submission_id",
        "submission_sha256",
        "version",
    }
    assert acknowledgement_document(issued(channel="online"), SIGNER) == DOCUMENT
    assert "paper" not in render_html(DOCUMENT).decode()
    assert "paper" not in pdf_text(render_pdf(DOCUMENT))


def test_a_paper_return_is_signed_as_paper_with_who_keyed_it() -> None:
    document = json.loads(PAPER_DOCUMENT)
    assert (document["channel"], document["keyed_by"]) == ("paper", "caseworker-1")
    assert verify_document(PAPER_DOCUMENT, SIGNER.public_key).genuine
    # Who keyed it in, and that it came on paper, are signed like everything else.
    for altered in (
        PAPER_DOCUMENT.replace(b"caseworker-1", b"caseworker-2"),
        PAPER_DOCUMENT.replace(b'"channel":"paper","document"', b'"channel":"paper!","document"'),
    ):
        assert altered != PAPER_DOCUMENT
        assert not verify_document(altered, SIGNER.public_key).genuine
    stripped = {k: v for k, v in document.items() if k not in ("channel", "keyed_by")}
    assert not verify_document(
        json.dumps(stripped, sort_keys=True, separators=(",", ":")).encode(), SIGNER.public_key
    ).genuine


def test_the_html_and_pdf_of_a_paper_return_say_it_was_keyed_in_and_by_whom() -> None:
    page = render_html(PAPER_DOCUMENT).decode()
    assert f"<dd>{PAPER_LINE}</dd>" in page
    pdf = render_pdf(PAPER_DOCUMENT)
    assert PAPER_LINE in pdf_text(pdf)
    assert render_pdf(PAPER_DOCUMENT) == pdf
    assert verify_document(signed_json_of(pdf), SIGNER.public_key).genuine


def test_who_keyed_a_paper_return_is_escaped_in_html() -> None:
    event = issued(channel="paper", keyed_by="<b>caseworker</b>")
    page = render_html(acknowledgement_document(event, SIGNER)).decode()
    assert "<b>caseworker" not in page
    assert "Received on paper, keyed by &lt;b&gt;caseworker&lt;/b&gt;" in page


def test_the_html_and_pdf_are_written_for_the_filer() -> None:
    # Issue 12 item 4: dates in words (UK time), no API paths, no ISO timestamps up front.
    page = render_html(DOCUMENT).decode()
    text = pdf_text(render_pdf(DOCUMENT))
    for rendered in (page, text):
        assert "29 March 2026 at 2:30am" in rendered  # 01:30 UTC, the first hour of BST
        assert "Return accepted" in rendered
        assert "Reference number" in rendered
        assert "POST /" not in rendered
        assert "Processed at (UTC)" not in rendered
    assert "2026-03-29T01:30" not in text
    assert "acknowledgement.json" in text
