"""`make bench` reports how fast receipts are read from the figures `make receipts-accuracy`
writes (the same reading code and pool as the receipts service): per second, p50 and p99,
for images and for PDFs (issue 15)."""

import json
from pathlib import Path

from cabinet_devstack.bench import _reading_table, receipt_reading
from tests.receipts_accuracy import Figures, figures_json


def test_the_accuracy_figures_are_written_for_the_bench_table(tmp_path: Path) -> None:
    figures = Figures(
        genuine=150,
        mismatched=50,
        unreadable=4,
        amount_confirmed=1.0,
        date_confirmed=0.993,
        false_flags=0.0133,
        mismatches_flagged=1.0,
        unreadable_flagged=1.0,
        speed={"image": (104, 6.09, 0.29, 0.96), "pdf": (100, 12.23, 0.14, 0.34)},
        misses=[],
    )
    path = tmp_path / "receipts-reading.json"
    path.write_text(json.dumps(figures_json(figures, count=200, seed=2026, workers=2)))

    read = receipt_reading(path)
    assert read is not None
    assert read["speed"]["image"] == {"count": 104, "per_s": 6.09, "p50_s": 0.29, "p99_s": 0.96}
    assert read["accuracy"]["false_flags"] == 0.0133 and read["below_target"] == []
    table = _reading_table(read)
    assert "2 workers" in table
    assert "image   104 read    6.09/s  p50  0.29 s  p99  0.96 s" in table
    assert "pdf     100 read   12.23/s  p50  0.14 s  p99  0.34 s" in table


def test_without_the_figures_the_bench_reports_none(tmp_path: Path) -> None:
    assert receipt_reading(tmp_path / "missing.json") is None
    (tmp_path / "bad.json").write_text("{")
    assert receipt_reading(tmp_path / "bad.json") is None
