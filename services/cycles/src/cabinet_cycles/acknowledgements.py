"""The acknowledgement: Cabinet's signed receipt for an accepted filing.

The document is canonical JSON (keys sorted, no spaces, ASCII only) holding the reference
(12 digits, the last a Luhn check digit), the obligation, the submission and its version,
the SHA-256 of the submission (over the canonical answers, receipt lines and the SHA-256 of
every receipt file, as intake computes it), the processing time, and a `signature`:

    {"document": "cabinet.acknowledgement.v1", "obligation": {...}, "processed_at": "...Z",
     "reference": "123456789015", "signature": {"algorithm": "Ed25519", "key_id": "...",
     "value": "<base64>"}, "submission_id": "...", "submission_sha256": "...", "version": 1}

A return keyed in by a caseworker from paper also holds `"channel": "paper"` and
`"keyed_by"` (the caseworker); an online one holds neither, so its document is exactly
what it was before paper returns existed and documents issued then still verify.

The signature is Ed25519 over the canonical JSON of every other field. It is made once,
when the document is first stored, and the stored bytes are returned on every fetch. A
document is genuine when its bytes are exactly the canonical form of what they contain
(so not one byte can change, not even a space) and the signature verifies with Cabinet's
public key. It is also rendered as HTML and as PDF (the PDF carries the signed JSON as an
attached file) for people; both are made from the stored bytes, the same bytes each time.
"""

import html
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.json_format import MessageToDict

from cabinet.obligations.v1 import events_pb2 as obligations_pb2
from cabinet_common.obligation_workflow import CHANNEL_PAPER, received_how
from cabinet_common.references import is_valid_reference
from cabinet_common.signing import ALGORITHM, Signer, key_id, verify

DOCUMENT_TYPE = "cabinet.acknowledgement.v1"
LONDON = ZoneInfo("Europe/London")
_FIELDS = frozenset(
    {
        "channel",
        "document",
        "keyed_by",
        "obligation",
        "processed_at",
        "reference",
        "signature",
        "submission_id",
        "submission_sha256",
        "version",
    }
)


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def acknowledgement_body(issued: obligations_pb2.AcknowledgementIssued) -> dict[str, Any]:
    processed_at = issued.processed_at.ToDatetime(tzinfo=UTC)
    # Only a paper return says how it arrived (see the module's docstring).
    paper = (
        {"channel": CHANNEL_PAPER, "keyed_by": issued.keyed_by}
        if issued.channel == CHANNEL_PAPER
        else {}
    )
    return {
        "document": DOCUMENT_TYPE,
        "reference": issued.reference,
        "obligation": MessageToDict(issued.obligation, preserving_proto_field_name=True),
        "submission_id": issued.submission_id,
        "version": issued.version,
        "submission_sha256": issued.submission_sha256,
        "processed_at": processed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        **paper,
    }


def signed_document(body: dict[str, Any], signer: Signer | None) -> bytes:
    """The document's bytes: signed when a signer is configured, else without a signature
    (such a document can never be verified; configure CABINET_SIGNING_KEY)."""
    if signer is None:
        return canonical(body)
    signature = {
        "algorithm": ALGORITHM,
        "key_id": signer.key_id,
        "value": signer.sign(canonical(body)),
    }
    return canonical({**body, "signature": signature})


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    document: dict[str, Any] | None = None

    @property
    def genuine(self) -> bool:
        return not self.problems


def verify_document(data: bytes, public_key: Ed25519PublicKey) -> Verification:
    """Whether `data` is an acknowledgement Cabinet signed, unaltered to the byte."""
    try:
        document = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return Verification(["not an acknowledgement: the file is not Cabinet's JSON document"])
    if not isinstance(document, dict) or document.get("document") != DOCUMENT_TYPE:
        return Verification(["not an acknowledgement: no 'document': " + repr(DOCUMENT_TYPE)])
    result = Verification(document=document)
    if canonical(document) != data:
        result.problems.append(
            "altered: the bytes are not the ones Cabinet issued (spacing, order or escaping "
            "changed)"
        )
    if unknown := sorted(document.keys() - _FIELDS):
        result.problems.append(f"altered: fields Cabinet never writes: {', '.join(unknown)}")
    signature = document.get("signature")
    if not isinstance(signature, dict):
        result.problems.append("not signed: the document has no signature")
        return result
    if signature.get("algorithm") != ALGORITHM or set(signature) != {
        "algorithm",
        "key_id",
        "value",
    }:
        result.problems.append(f"altered: the signature is not a plain {ALGORITHM} signature")
    if signature.get("key_id") != key_id(public_key):
        result.problems.append(
            f"signed with another key: key id {signature.get('key_id')!r}, "
            f"this public key's is {key_id(public_key)!r}"
        )
    body = {k: v for k, v in document.items() if k != "signature"}
    value = signature.get("value")
    if not isinstance(value, str) or not verify(public_key, canonical(body), value):
        result.problems.append("altered: the signature does not match the content")
    reference = document.get("reference")
    if not isinstance(reference, str) or not is_valid_reference(reference):
        result.problems.append("altered: the reference's check digit is wrong")
    return result


def signature_key_id(data: bytes) -> str | None:
    """The key id the document's signature names, if it is a document with one."""
    try:
        signature = json.loads(data.decode("ascii")).get("signature")
    except (UnicodeDecodeError, ValueError, AttributeError):
        return None
    kid = signature.get("key_id") if isinstance(signature, dict) else None
    return kid if isinstance(kid, str) else None


def verify_published(data: bytes, keys: Mapping[str, Ed25519PublicKey]) -> Verification:
    """verify_document with the key the signature names, among every key Cabinet has
    published (keys must not be empty): documents signed before a rotation still verify."""
    kid = signature_key_id(data)
    key = keys.get(kid) if kid is not None else None
    if key is None:
        result = verify_document(data, next(iter(keys.values())))
        result.problems.append(f"signed with a key Cabinet has not published (key id {kid!r})")
        return result
    return verify_document(data, key)


def accepted_words(processed_at: str) -> str:
    """ "7 February 2027 at 2:05pm" (UK time) from the document's UTC processing time."""
    moment = datetime.strptime(processed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    local = moment.astimezone(LONDON)
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local:%p}".replace("AM", "am").replace(
        "PM", "pm"
    )


def _rows(document: dict[str, Any]) -> list[tuple[str, str]]:
    """What a filer reads, in plain English: the reference, when it was accepted, what
    return it was."""
    obligation = document.get("obligation", {})
    how = received_how(str(document.get("channel", "")), document.get("keyed_by"))
    return [
        ("Reference number", document["reference"]),
        ("Accepted", accepted_words(document["processed_at"])),
        *([("How it arrived", f"Received {how}")] if how else []),
        ("Return", obligation.get("form_type_id", "")),
        ("Period", obligation.get("period_key", "")),
        ("Filer", obligation.get("filer_id", "")),
        ("Version sent", str(document["version"])),
    ]


def _checking_rows(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The identifiers someone checking the acknowledgement needs (not the filer)."""
    signature = document.get("signature") or {}
    return [
        ("Submission", document["submission_id"]),
        ("Fingerprint of answers and receipts (SHA-256)", document["submission_sha256"]),
        ("Signature", f"{signature.get('algorithm', 'none')} key {signature.get('key_id', '')}"),
    ]


_CHECKING = (
    "The department can prove this acknowledgement is genuine and unchanged: it carries "
    "the department's digital signature. Keep it with your records."
)


def render_html(data: bytes) -> bytes:
    """A GOV.UK-style confirmation page, no scripts, no external resources."""
    document = json.loads(data)
    rows = "\n".join(
        f'<div class="row"><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>'
        for k, v in _rows(document)
    )
    checking = "\n".join(
        f'<div class="row"><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>'
        for k, v in _checking_rows(document)
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Acknowledgement {html.escape(document["reference"])} - Cabinet</title>
<style>
body {{ font-family: Arial, sans-serif; margin: 2em; color: #0b0c0c; }}
.panel {{ background: #00703c; color: #fff; padding: 1.5em; text-align: center; }}
.panel strong {{ font-size: 2em; letter-spacing: 0.1em; }}
dl .row {{ display: flex; border-bottom: 1px solid #b1b4b6; padding: 0.5em 0; }}
dt {{ font-weight: bold; width: 20em; }} dd {{ margin: 0; word-break: break-all; }}
pre {{ white-space: pre-wrap; word-break: break-all; background: #f3f2f1; padding: 1em; }}
</style>
</head>
<body>
<main>
<div class="panel"><h1>Return accepted</h1>
<p>Your reference number<br><strong>{html.escape(document["reference"])}</strong></p></div>
<h2>Your return</h2>
<dl>
{rows}
</dl>
<h2>Checking this acknowledgement</h2>
<p>{_CHECKING}</p>
<dl>
{checking}
</dl>
<details><summary>The signed acknowledgement</summary>
<pre>{html.escape(data.decode("ascii"))}</pre></details>
</main>
</body>
</html>
"""
    return page.encode()


def render_pdf(data: bytes) -> bytes:
    """The same content as a PDF (core fonts only), with the signed document attached as
    acknowledgement.json. Dates inside the PDF are the processing time, so the bytes are
    the same on every render."""
    # Imported here: fpdf and pypdf add some 60 MB to the process, and only a PDF download
    # needs them (issue 9's memory budget is 150 MB per service).
    from fpdf import FPDF

    document = json.loads(data)
    processed_at = datetime.strptime(document["processed_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=UTC
    )
    pdf = FPDF(format="A4")
    pdf.set_creation_date(processed_at)
    pdf.set_title(f"Acknowledgement {document['reference']}")
    pdf.set_author("Cabinet")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 12, "Return accepted", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(0, 8, "Your reference number", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 14, document["reference"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in _rows(document):
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(50, 7, label)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(
            0,
            7,
            value.encode("latin-1", "replace").decode("latin-1"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Checking this acknowledgement", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(
        0,
        5,
        _CHECKING + " The signed acknowledgement is attached to this PDF (acknowledgement.json).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    for label, value in _checking_rows(document):
        pdf.set_font("Helvetica", "B", 8)
        pdf.multi_cell(0, 5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
        pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.embed_file(
        bytes=data,
        basename="acknowledgement.json",
        modification_date=processed_at,
        mime_type="application/json",
        desc="The signed acknowledgement",
        compress=False,
    )
    return bytes(pdf.output())


def signed_json_of(data: bytes) -> bytes:
    """The signed document: `data` itself, or the acknowledgement.json attached to a PDF
    rendering of it (then it is that attached document that is verified)."""
    if not data.startswith(b"%PDF-"):
        return data
    from pypdf import PdfReader  # only here, as fpdf in render_pdf

    try:
        attachments = PdfReader(io.BytesIO(data)).attachments
        return attachments["acknowledgement.json"][0]
    except Exception:  # any unreadable PDF: there is no document in it to verify
        return b""
