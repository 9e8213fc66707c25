from cabinet_common.settings import ServiceSettings, TemporalSettings


class CyclesSettings(ServiceSettings, TemporalSettings):
    database_url: str = "sqlite+aiosqlite:///.stack/data/cycles.db"
    port: int = 8003
    # Where operators open an obligation's workflow; used to build links only.
    temporal_ui_url: str = "http://127.0.0.1:8233"
