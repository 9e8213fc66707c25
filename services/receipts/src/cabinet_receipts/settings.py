from pathlib import Path

from cabinet_common.settings import ServiceSettings


class ReceiptsSettings(ServiceSettings):
    database_url: str = "sqlite+aiosqlite:///.stack/data/receipts.db"
    port: int = 8002
    # Each request body is cut off (413) once it passes this: POST /readings takes one
    # receipt file (at most 10MB, as intake takes).
    max_request_bytes: int = 11 * 1024 * 1024
    # Intake's evidence store, read only: receipt files by their SHA-256.
    evidence_dir: Path = Path(".stack/data/evidence")
    # Receipts read at once (one process each), and each one's limits; a receipt over a
    # limit is flagged RECEIPT_NOT_READABLE.
    reading_workers: int = 2
    reading_timeout_s: float = 20.0
    reading_memory_mb: int = 1024
    reading_cpu_s: int = 30
