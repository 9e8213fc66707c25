from cabinet_common.settings import ServiceSettings


class ReceiptsSettings(ServiceSettings):
    database_url: str = "sqlite+aiosqlite:///.stack/data/receipts.db"
    port: int = 8002
