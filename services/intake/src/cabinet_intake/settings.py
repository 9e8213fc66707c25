from pathlib import Path

from cabinet_common.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    database_url: str = "sqlite+aiosqlite:///.stack/data/intake.db"
    port: int = 8001
    # Receipt files, content-addressed by SHA-256 (the local evidence store).
    evidence_dir: Path = Path(".stack/data/evidence")
    # Limits on what one request may upload: each file, and all of a submission's files.
    max_file_bytes: int = 10 * 1024 * 1024
    max_submission_bytes: int = 50 * 1024 * 1024
    max_files_per_submission: int = 50
