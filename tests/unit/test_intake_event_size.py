"""A submission whose FormSubmitted would be over the largest event Kafka takes is refused
with a 422 before it is accepted (nothing stored, nothing in the outbox); one just under
the limit is accepted."""

from tests.unit.intake_support import Intake, line

# Answers are free text; form type version 0 means they are not checked against a form.
LIMIT = 1_000_000


async def test_a_submission_too_large_to_announce_is_refused_before_it_is_accepted(
    intake: Intake,
) -> None:
    too_long = {"box1": "100", "notes": "x" * LIMIT}
    refused = await intake.submit([line("2026-08-01", 1000)], answers=too_long)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "ANSWERS_TOO_LARGE"
    assert "shorten the longest answers" in problem["detail"]
    assert await intake.form_submitted() == []

    fits = {"box1": "100", "notes": "x" * (LIMIT - 5_000)}
    accepted = await intake.submit([line("2026-08-01", 1000)], answers=fits)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["version"] == 1
    [event] = await intake.form_submitted()
    assert len(event.answers["notes"]) == LIMIT - 5_000
