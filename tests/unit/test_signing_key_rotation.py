"""Signing keys rotate without invalidating what was signed: the key comes from a mounted
file, earlier public keys stay published (CABINET_SIGNING_PUBLIC_KEYS_DIR), cycles lists
them all at /signing-keys, and /acknowledgements/verify checks a document with the key its
signature names. A key Cabinet never published verifies nothing."""

from pathlib import Path

import httpx
from fastapi import FastAPI

from cabinet_common import problems
from cabinet_common.signing import Signer, generate_seed, public_key_text
from cabinet_cycles.acknowledgements_api import router as acknowledgements_router
from cabinet_cycles.audit.api import router as audit_router
from cabinet_cycles.event_handlers import acknowledgement_document
from cabinet_cycles.settings import CyclesSettings
from tests.auth_support import MACHINE, trust_test_tokens
from tests.unit.test_acknowledgements import issued

OLD_SEED, NEW_SEED = generate_seed(), generate_seed()
OLD, NEW = Signer.from_config(OLD_SEED), Signer.from_config(NEW_SEED)


def cycles(tmp_path: Path, publish_old: bool) -> httpx.AsyncClient:
    key_file = tmp_path / "signing-key"
    key_file.write_text(NEW_SEED + "\n")
    published = tmp_path / "published"
    published.mkdir()
    if publish_old:
        (published / "2026-q1.pub").write_text(public_key_text(OLD.public_key))
    app = FastAPI()
    problems.install(app)
    trust_test_tokens(app)
    app.state.settings = CyclesSettings(
        signing_key_file=key_file, signing_public_keys_dir=published
    )
    app.include_router(acknowledgements_router)
    app.include_router(audit_router)
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://cycles", headers=MACHINE)


async def test_an_acknowledgement_signed_before_a_rotation_still_verifies(
    tmp_path: Path,
) -> None:
    before = acknowledgement_document(issued(), OLD)
    after = acknowledgement_document(issued(version=2), NEW)
    async with cycles(tmp_path, publish_old=True) as http:
        for document, signer in ((before, OLD), (after, NEW)):
            answer = (await http.post("/acknowledgements/verify", content=document)).json()
            assert (answer["genuine"], answer["key_id"]) == (True, signer.key_id), answer
        keys = (await http.get("/signing-keys")).json()["keys"]
        assert sorted((k["key_id"], k["current"], k["public_key"]) for k in keys) == sorted(
            [
                (OLD.key_id, False, public_key_text(OLD.public_key)),
                (NEW.key_id, True, public_key_text(NEW.public_key)),
            ]
        )
        assert (await http.get("/signing-key")).json()["key_id"] == NEW.key_id


async def test_a_key_cabinet_never_published_verifies_nothing(tmp_path: Path) -> None:
    before = acknowledgement_document(issued(), OLD)
    async with cycles(tmp_path, publish_old=False) as http:
        answer = (await http.post("/acknowledgements/verify", content=before)).json()
        assert answer["genuine"] is False
        assert any("has not published" in p for p in answer["problems"]), answer
        assert [k["key_id"] for k in (await http.get("/signing-keys")).json()["keys"]] == [
            NEW.key_id
        ]
