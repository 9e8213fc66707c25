from cabinet_common.settings import ServiceSettings, SigningSettings, TemporalSettings


class CyclesSettings(ServiceSettings, TemporalSettings, SigningSettings):
    database_url: str = "sqlite+aiosqlite:///.stack/data/cycles.db"
    port: int = 8003
    # Each request body is cut off (413) once it passes this; the largest is a filer
    # register (CSV): some 50,000 filers.
    max_request_bytes: int = 5 * 1024 * 1024
    # Where operators open an obligation's workflow; used to build links only.
    temporal_ui_url: str = "http://127.0.0.1:8233"
    # This service's own Temporal worker, which runs the quarter workflow's activities.
    cycles_task_queue: str = "cabinet-cycles"
    # Obligations opened (or closed) per activity of the quarter workflow.
    quarter_batch_size: int = 500
    # A quarter closes by itself this long after its obligations turn overdue (or after it
    # was opened, for a quarter opened late).
    quarter_closes_days_after_due: int = 90
