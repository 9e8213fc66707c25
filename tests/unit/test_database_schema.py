"""create_schema on a database made by an earlier release: tables it lacks are made, and
columns added since are added to the tables it has, the rows already there taking the
columns' server defaults (or NULL)."""

from pathlib import Path

from sqlalchemy import text

from cabinet_common.database import create_engine, create_schema
from cabinet_intake import tables  # noqa: F401  (registers intake's tables)

# submission_versions as intake made it before the paper channel: no channel, no keyed_by.
OLD_SUBMISSION_VERSIONS = """
CREATE TABLE submission_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id VARCHAR(64) NOT NULL,
    obligation_id VARCHAR(64) NOT NULL,
    version INTEGER NOT NULL,
    idempotency_key VARCHAR(200) NOT NULL,
    submission_sha256 VARCHAR(64) NOT NULL,
    request_sha256 VARCHAR(64) NOT NULL,
    answers JSON NOT NULL,
    declared_total_pence BIGINT NOT NULL,
    submitted_at DATETIME NOT NULL,
    UNIQUE (submission_id, version),
    UNIQUE (obligation_id, idempotency_key)
)
"""


async def test_columns_added_since_are_added_to_an_existing_table(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    async with engine.begin() as connection:
        await connection.execute(text(OLD_SUBMISSION_VERSIONS))
        await connection.execute(
            text(
                "INSERT INTO submission_versions (submission_id, obligation_id, version, "
                "idempotency_key, submission_sha256, request_sha256, answers, "
                "declared_total_pence, submitted_at) VALUES ('s', 'o', 1, 'k', 'a', 'b', '{}', "
                "0, '2026-08-01 00:00:00')"
            )
        )

    await create_schema(engine)
    await create_schema(engine)  # and again, as on every start: nothing left to add

    async with engine.connect() as connection:
        columns = (await connection.execute(text("PRAGMA table_info(submission_versions)"))).all()
        row = (
            await connection.execute(text("SELECT channel, keyed_by FROM submission_versions"))
        ).one()
        made = (
            await connection.execute(text("SELECT name FROM sqlite_master WHERE name = 'receipts'"))
        ).all()
    await engine.dispose()
    names = [c.name for c in columns]
    assert names.count("channel") == names.count("keyed_by") == 1
    assert tuple(row) == ("online", None)
    assert made  # a table the old database lacked is made as before
