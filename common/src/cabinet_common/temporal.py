from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from cabinet_common.settings import TemporalSettings


async def connect(settings: TemporalSettings) -> Client:
    """Every Temporal client in Cabinet exchanges pydantic models."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
