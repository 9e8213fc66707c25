"""The notification port: how a reminder reaches a filer. The local adapter writes each
message as an .eml file into a mail folder, where a person or a test can read it; a
production adapter (SMTP, GOV.UK Notify) implements the same protocol."""

import os
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol


class Notifier(Protocol):
    async def send(self, message_id: str, message: EmailMessage) -> None:
        """Deliver the message; sending the same message_id again must not send twice."""


class MailFolder:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def send(self, message_id: str, message: EmailMessage) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        target = self._folder / f"{message_id}.eml"
        with tempfile.NamedTemporaryFile(dir=self._folder, delete=False, suffix=".tmp") as tmp:
            tmp.write(bytes(message))
        os.replace(tmp.name, target)
