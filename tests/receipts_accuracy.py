"""How well Cabinet reads receipts, measured on a labelled set drawn on the spot
(tests/receipt_corpus.py), through the same bounded pool and the same comparison as the
receipts service:

  typed amount confirmed   genuine receipts whose typed amount the reading bears out (>= 95%)
  date confirmed           genuine receipts whose typed date it bears out (>= 90%)
  false flags              genuine receipts given any flag (<= 2%)
  mismatches flagged       receipts with a wrong amount typed that are flagged (100%)
  unreadable flagged       pure noise and blank images flagged RECEIPT_NOT_READABLE (100%)

and the speed: receipts read per second and p50/p99 read time, for images and for PDFs
(target p99 <= 3 s per image). `make receipts-accuracy` runs it; the unit tests assert the
same thresholds on a small fixed sample."""

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from cabinet.common.v1 import types_pb2
from cabinet.submissions.v1 import events_pb2 as submissions_pb2
from cabinet_common.bounded import BoundedPool, TaskFailed
from cabinet_common.form_types.definition import ReadingChecks
from cabinet_common.reading import Reading, read_receipt
from cabinet_common.receipt_files import PNG
from cabinet_receipts.reading_checks import compare
from tests.receipt_corpus import Sample, blank_image, make_corpus, noise_image

C = types_pb2.ReasonCode
ANY_DAY = date(2026, 8, 1)
THRESHOLDS = {
    "amount_confirmed": 0.95,
    "date_confirmed": 0.90,
    "false_flags": 0.02,
    "mismatches_flagged": 1.0,
    "unreadable_flagged": 1.0,
}


@dataclass(frozen=True)
class Figures:
    genuine: int
    mismatched: int
    unreadable: int
    amount_confirmed: float
    date_confirmed: float
    false_flags: float
    mismatches_flagged: float
    unreadable_flagged: float
    # Per kind ("image", "pdf"): count, reads per second, p50 and p99 seconds.
    speed: dict[str, tuple[int, float, float, float]]
    misses: list[str]

    def failures(self) -> list[str]:
        failed = []
        for name, limit in THRESHOLDS.items():
            value = getattr(self, name)
            ok = value <= limit if name == "false_flags" else value >= limit
            if not ok:
                failed.append(f"{name} {value:.1%} (limit {limit:.0%})")
        return failed


def unreadable_samples(count: int) -> list[Sample]:
    made = [noise_image(seed) for seed in range(max(1, count - 1))] + [blank_image()]
    return [
        Sample(f"unreadable-{i}", "unreadable", content, PNG, ANY_DAY, "Anyone", "", 100, 100, True)
        for i, content in enumerate(made[:count])
    ]


def line_of(sample: Sample) -> submissions_pb2.ReceiptLine:
    return submissions_pb2.ReceiptLine(
        receipt_id=sample.name,
        date=sample.date.isoformat(),
        amount_pence=sample.typed_pence,
        currency="GBP",
        payee=sample.payee,
    )


async def read_all(samples: Sequence[Sample], pool: BoundedPool, workers: int = 2) -> list[Reading]:
    # A read is timed from when a worker is free for it, not while it waits in line.
    free = asyncio.Semaphore(workers)

    async def timed(sample: Sample) -> Reading:
        async with free:
            return await _timed_read(sample)

    async def _timed_read(sample: Sample) -> Reading:
        started = time.monotonic()
        try:
            reading = await pool.run(read_receipt, sample.content, sample.media_type)
        except TaskFailed as error:  # as the receipts service does: a flag, not a crash
            reading = Reading(problem=str(error))
        return replace(reading, seconds=time.monotonic() - started)

    return list(await asyncio.gather(*(timed(s) for s in samples)))


def measure(
    samples: Sequence[Sample],
    readings: Sequence[Reading],
    wall_s: dict[str, float] | None = None,
    settings: ReadingChecks | None = None,
) -> Figures:
    settings = settings or ReadingChecks()
    genuine = mismatched = unreadable = 0
    amount_ok = date_ok = falsely_flagged = mismatch_caught = unreadable_caught = 0
    misses = []
    for sample, reading in zip(samples, readings, strict=True):
        flags = {flag.code for flag in compare(line_of(sample), reading, settings)[0]}
        if sample.kind == "unreadable":
            unreadable += 1
            unreadable_caught += C.REASON_CODE_RECEIPT_NOT_READABLE in flags
        elif sample.genuine:
            genuine += 1
            unread = C.REASON_CODE_RECEIPT_NOT_READABLE in flags
            amount_ok += not unread and C.REASON_CODE_AMOUNT_NOT_ON_RECEIPT not in flags
            date_ok += not unread and C.REASON_CODE_DATE_NOT_ON_RECEIPT not in flags
            falsely_flagged += bool(flags)
            if flags:
                names = sorted(C.Name(code).removeprefix("REASON_CODE_") for code in flags)
                misses.append(f"{sample.name}: {', '.join(names)}")
        else:
            mismatched += 1
            caught = flags & {
                C.REASON_CODE_AMOUNT_NOT_ON_RECEIPT,
                C.REASON_CODE_RECEIPT_NOT_READABLE,
            }
            mismatch_caught += bool(caught)
            if not caught:
                misses.append(f"{sample.name}: wrong amount not flagged")
    return Figures(
        genuine=genuine,
        mismatched=mismatched,
        unreadable=unreadable,
        amount_confirmed=_share(amount_ok, genuine),
        date_confirmed=_share(date_ok, genuine),
        false_flags=_share(falsely_flagged, genuine, empty=0.0),
        mismatches_flagged=_share(mismatch_caught, mismatched),
        unreadable_flagged=_share(unreadable_caught, unreadable),
        speed=_speed(samples, readings, wall_s or {}),
        misses=misses,
    )


def kind_of(sample: Sample) -> str:
    return "pdf" if sample.media_type == "application/pdf" else "image"


def _speed(
    samples: Sequence[Sample], readings: Sequence[Reading], wall_s: dict[str, float]
) -> dict[str, tuple[int, float, float, float]]:
    speed = {}
    for kind in ("image", "pdf"):
        seconds = sorted(
            r.seconds for s, r in zip(samples, readings, strict=True) if kind_of(s) == kind
        )
        if not seconds:
            continue
        wall = wall_s.get(kind) or sum(seconds)
        speed[kind] = (
            len(seconds),
            len(seconds) / wall,
            _quantile(seconds, 0.5),
            _quantile(seconds, 0.99),
        )
    return speed


def _quantile(sorted_values: list[float], q: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[round(q * 100) - 1]


def _share(part: int, whole: int, empty: float = 1.0) -> float:
    return part / whole if whole else empty


async def run(count: int, seed: int, workers: int) -> Figures:
    samples = make_corpus(count, seed) + unreadable_samples(max(2, count // 50))
    pool = BoundedPool(workers, preload=["cabinet_common.reading"])
    await pool.run(read_receipt, b"", "text/csv")  # start the forkserver before timing
    readings: dict[str, Reading] = {}
    wall: dict[str, float] = {}
    for kind in ("image", "pdf"):
        batch = [s for s in samples if kind_of(s) == kind]
        started = time.monotonic()
        for sample, reading in zip(batch, await read_all(batch, pool, workers), strict=True):
            readings[sample.name] = reading
        wall[kind] = time.monotonic() - started
    return measure(samples, [readings[s.name] for s in samples], wall)


def report(figures: Figures, workers: int) -> str:
    rows = [
        f"receipts: {figures.genuine} genuine, {figures.mismatched} with a wrong amount "
        f"typed, {figures.unreadable} unreadable (noise, blank)",
        f"typed amount confirmed  {figures.amount_confirmed:7.1%}  (target >= 95%)",
        f"date confirmed          {figures.date_confirmed:7.1%}  (target >= 90%)",
        f"false flags             {figures.false_flags:7.1%}  (target <= 2%)",
        f"mismatches flagged      {figures.mismatches_flagged:7.1%}  (target 100%)",
        f"unreadable flagged      {figures.unreadable_flagged:7.1%}  (target 100%)",
        f"speed, {workers} workers:",
    ]
    for kind, (count, per_s, p50, p99) in figures.speed.items():
        rows.append(
            f"  {kind:5}  {count:4} read  {per_s:5.2f}/s  p50 {p50:5.2f} s  p99 {p99:5.2f} s"
            + ("  (target p99 <= 3 s)" if kind == "image" else "")
        )
    if figures.misses:
        rows.append("misses: " + "; ".join(figures.misses))
    return "\n".join(rows)


def figures_json(figures: Figures, count: int, seed: int, workers: int) -> dict[str, object]:
    """The figures as `make bench`'s table takes them (cabinet_devstack.bench)."""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {"count": count, "seed": seed, "workers": workers, "cpus": os.cpu_count()},
        "accuracy": {name: round(getattr(figures, name), 4) for name in THRESHOLDS},
        "speed": {
            kind: {
                "count": n,
                "per_s": round(per_s, 2),
                "p50_s": round(p50, 3),
                "p99_s": round(p99, 3),
            }
            for kind, (n, per_s, p50, p99) in figures.speed.items()
        },
        "below_target": figures.failures(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="How well Cabinet reads receipts")
    parser.add_argument("--count", type=int, default=200, help="receipts to draw")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.count, args.seed, args.workers))
    print(report(figures, args.workers))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        written = figures_json(figures, args.count, args.seed, args.workers)
        args.out.write_text(json.dumps(written, indent=2) + "\n")
    failed = figures.failures()
    if failed:
        print("BELOW TARGET: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
