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
    # Each request body is cut off (413) once it passes this: a whole submission of files
    # plus its form fields.
    max_request_bytes: int = 51 * 1024 * 1024
    # PDFs and images are opened in child processes (file_checks, cabinet_common.bounded):
    # this many at once, each within these limits; a file over one is refused
    # (FILE_TOO_COMPLEX).
    file_check_workers: int = 2
    file_check_timeout_s: float = 10.0
    file_check_memory_mb: int = 1024
    file_check_cpu_s: int = 15
