from pathlib import Path

from cabinet_common.settings import CommonSettings, TemporalSettings


class WorkerSettings(CommonSettings, TemporalSettings):
    # Where the local notification adapter delivers reminders, one .eml file each.
    mail_dir: Path = Path(".stack/data/mail")
