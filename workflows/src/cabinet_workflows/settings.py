from cabinet_common.settings import CommonSettings, TemporalSettings


class WorkerSettings(CommonSettings, TemporalSettings):
    pass
