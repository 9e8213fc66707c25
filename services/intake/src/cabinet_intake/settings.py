from pathlib import Path

from cabinet_common.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    database_url: str = "sqlite+aiosqlite:///.stack/data/intake.db"
    port: int = 8001
    # Receipt files, content-addressed by SHA-256.
    evidence_dir: Path = Path(".stack/data/evidence")
    max_file_bytes: int = 10 * 1024 * 1024
    max_files_per_submission: int = 50
