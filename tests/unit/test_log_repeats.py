"""aiokafka's identical error lines (one per failed connection attempt of every waiting send
while Kafka is away) are let through once per window, with the number dropped; other
loggers and other messages are untouched."""

import logging

import pytest

from cabinet_common.logging import RepeatsDropped


def _record(name: str, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, None, None)


def test_repeats_within_the_window_are_dropped_and_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr("cabinet_common.logging.time.monotonic", lambda: clock[0])
    repeats = RepeatsDropped("aiokafka", window_s=30)
    unable = "Unable to update metadata from [1]"

    assert repeats.filter(_record("aiokafka", unable))
    assert [repeats.filter(_record("aiokafka", unable)) for _ in range(500)] == [False] * 500
    # Another message, a child logger's own line, and other loggers still pass.
    assert repeats.filter(_record("aiokafka", "Unable connect to node with id 1"))
    assert repeats.filter(_record("aiokafka.consumer.group_coordinator", unable))
    assert all(
        repeats.filter(_record("cabinet_common.messaging.outbox_relay", unable)) for _ in range(3)
    )

    clock[0] += 31
    after = _record("aiokafka", unable)
    assert repeats.filter(after)
    assert after.__dict__["repeats_dropped"] == 500
