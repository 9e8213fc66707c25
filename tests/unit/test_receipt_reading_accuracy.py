"""The reading accuracy targets, asserted on a small fixed sample of the labelled set
(`make receipts-accuracy` measures the full set): photos, till receipts, text PDFs and
scanned PDFs, some with a wrong amount typed, plus noise and a blank image."""

from cabinet_common.bounded import BoundedPool, Limits
from tests.receipt_corpus import make_corpus
from tests.receipts_accuracy import measure, read_all, unreadable_samples


async def test_the_accuracy_targets_hold_on_a_fixed_sample() -> None:
    samples = make_corpus(12, seed=1507, mismatched_share=0.25) + unreadable_samples(2)
    assert {s.kind for s in samples} == {"photo", "till", "text-pdf", "scan-pdf", "unreadable"}
    assert any(not s.genuine for s in samples)
    # Generous limits: this asserts accuracy, not speed (make receipts-accuracy times it).
    readings = await read_all(samples, BoundedPool(workers=2, limits=Limits(timeout_s=120)))
    figures = measure(samples, readings)
    assert figures.failures() == [], figures
    assert figures.amount_confirmed >= 0.95
    assert figures.date_confirmed >= 0.90
    assert figures.false_flags <= 0.02
    assert figures.mismatches_flagged == 1.0
    assert figures.unreadable_flagged == 1.0
