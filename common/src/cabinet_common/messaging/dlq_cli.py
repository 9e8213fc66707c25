"""cabinet-dlq: see and re-drive dead letters.

    cabinet-dlq list [--topic form.submitted.v1.dlq] [--all]   # waiting ones (--all: re-driven too)
    cabinet-dlq show form.submitted.v1.dlq/0/12                 # one, with its headers
    cabinet-dlq redrive form.submitted.v1.dlq/0/12 [...]        # these back to their topics
    cabinet-dlq redrive --topic form.submitted.v1.dlq           # every waiting one of a topic

Kafka is found through CABINET_KAFKA_BOOTSTRAP_SERVERS, like every Cabinet process.
"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from cabinet_common.messaging.dead_letters import (
    DeadLetter,
    find,
    read_dead_letters,
    redrive,
    waiting,
)
from cabinet_common.messaging.kafka import dead_letter_topics
from cabinet_common.settings import CommonSettings


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _line(letter: DeadLetter, now: datetime) -> str:
    state = "re-driven" if letter.redriven_at else "set aside" if letter.set_aside else "waiting"
    return (
        f"{letter.ref}\t{_age(letter.age(now))}\t{state}\t{letter.consumer}\t"
        f"{letter.event_type or '-'}\t{letter.event_id or '-'}\t{letter.reason}"
    )


def _show(letter: DeadLetter) -> str:
    lines = [
        f"ref            {letter.ref}",
        f"original topic {letter.original_topic}",
        f"dead-lettered  {letter.dead_lettered_at.isoformat()}",
        f"re-driven      {letter.redriven_at.isoformat() if letter.redriven_at else '-'}",
        f"reason         {letter.reason}",
        f"consumer       {letter.consumer}",
        f"key            {letter.key.decode(errors='replace') if letter.key else '-'}",
        f"value          {len(letter.value or b'')} bytes",
        "headers",
        *(f"  {name}: {value.decode(errors='replace')}" for name, value in letter.headers),
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace, settings: CommonSettings) -> int:
    topics = [args.topic] if getattr(args, "topic", None) else None
    letters = await read_dead_letters(settings, topics)
    now = datetime.now(UTC)
    if args.command == "list":
        for letter in letters if args.all else waiting(letters):
            print(_line(letter, now))
        return 0
    chosen = [find(letters, ref) for ref in args.refs]
    unknown = [ref for ref, letter in zip(args.refs, chosen, strict=True) if letter is None]
    if unknown:
        print(f"no such dead letter: {', '.join(unknown)}", file=sys.stderr)
        return 1
    found = [letter for letter in chosen if letter is not None]
    if args.command == "show":
        print("\n\n".join(_show(letter) for letter in found))
        return 0
    if not found:  # --topic: every waiting one that can be sent again
        found = [letter for letter in waiting(letters) if not letter.set_aside]
    for letter in await redrive(settings, found):
        print(f"re-driven {letter.ref} -> {letter.original_topic} (ce_id {letter.event_id})")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-dlq", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="dead letters, oldest first")
    listing.add_argument("--topic", choices=dead_letter_topics())
    listing.add_argument("--all", action="store_true", help="include re-driven ones")
    show = commands.add_parser("show", help="one or more dead letters in full")
    show.add_argument("refs", nargs="+", metavar="TOPIC/PARTITION/OFFSET")
    again = commands.add_parser("redrive", help="send dead letters back to their topics")
    again.add_argument("refs", nargs="*", metavar="TOPIC/PARTITION/OFFSET")
    again.add_argument("--topic", choices=dead_letter_topics(), help="every waiting one of it")
    args = parser.parse_args()
    if args.command == "redrive" and bool(args.refs) == bool(args.topic):
        parser.error("redrive takes either references or --topic")
    try:
        status = asyncio.run(run(args, CommonSettings()))
    except ValueError as error:  # a malformed reference, or one that cannot be re-driven
        parser.error(str(error))
    sys.exit(status)
