"""Fuzz each Cabinet API with Schemathesis against a stack of its own: every check, every
phase (examples, coverage, fuzzing, stateful), as Cabinet's machine identity; then once
more with no credentials (every route's 401 as documented). Prints per
API the operations tested, the examples run and the server errors (5xx) found, and writes
Schemathesis's JSON report and a summary under fuzz-results/. Exits 1 on any server error.

`make fuzz` runs it in full; tests/integration/test_fuzz.py runs `fuzz_api` briefly on the
test session's stack."""

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cabinet_devstack.demo import seed_demo
from cabinet_devstack.stack import Stack, StackConfig

APIS = ("intake", "receipts", "cycles")
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
SEED = 20261204


@dataclass
class Figures:
    api: str
    operations: int = 0
    examples: int = 0
    server_errors: int = 0
    # Each failing check's name, and how many of its failures this run found.
    failures: dict[str, int] = field(default_factory=dict)
    # What the server errors were: method, path and status, a few of each.
    server_error_samples: list[str] = field(default_factory=list)
    exit_code: int = 0


def fuzz_api(
    config: StackConfig,
    api: str,
    out_dir: Path,
    max_examples: int,
    phases: str = "examples,coverage,fuzzing,stateful",
    checks: str = "all",
    max_time_s: int | None = None,
    anonymous: bool = False,
) -> Figures:
    """Schemathesis against one API of the stack (as the machine identity, or with no
    credentials); its report in out_dir/<api>.json (<api>-anonymous.json)."""
    # Absolute: Schemathesis runs in a scratch directory.
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{api}-anonymous" if anonymous else api
    report = out_dir / f"{name}.json"
    ndjson = out_dir / f"{name}.ndjson"
    # A fresh machine token (they live 15 minutes).
    auth = {} if anonymous else config.machine_auth()
    headers = [f"--header={header}: {value}" for header, value in auth.items()]
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{config.url(api)}/openapi.json",
        *headers,
        "--checks",
        checks,
        "--phases",
        phases,
        "--max-examples",
        str(max_examples),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-shrink",
        "--continue-on-failure",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--report",
        "json,ndjson",
        "--report-json-path",
        str(report),
        "--report-ndjson-path",
        str(ndjson),
    ]
    if max_time_s is not None:
        command += ["--max-time", str(max_time_s)]
    with tempfile.TemporaryDirectory() as scratch:
        # Its own files (.schemathesis/) stay out of the repository.
        done = subprocess.run(
            command, cwd=scratch, capture_output=True, text=True, timeout=3600, check=False
        )
    (out_dir / f"{name}.log").write_text(done.stdout + done.stderr)
    figures = figures_of(name, report, ndjson)
    figures.exit_code = done.returncode
    return figures


def figures_of(api: str, report: Path, ndjson: Path) -> Figures:
    """Operations tested, examples (test cases) generated and the failures by kind from
    Schemathesis's JSON report; every response of 500 or more from its event stream."""
    figures = Figures(api)
    if report.exists():
        run = json.loads(report.read_text())
        figures.operations = int(run["operations"]["tested"])
        figures.examples = int(run["test_cases"]["generated"])
        figures.failures = {f"{f['code']} {f['title']}": f["count"] for f in run["failures"]}
    samples: dict[str, int] = {}
    if ndjson.exists():
        for line in ndjson.read_text().splitlines():
            finished = json.loads(line).get("ScenarioFinished")
            if finished:
                _count_server_errors(finished, figures, samples)
    return figures


def _count_server_errors(body: dict[str, Any], figures: Figures, samples: dict[str, int]) -> None:
    for node in ((body.get("recorder") or {}).get("interactions") or {}).values():
        status = (node.get("response") or {}).get("status_code")
        if not isinstance(status, int) or status < 500:
            continue
        figures.server_errors += 1
        request = node.get("request") or {}
        sample = f"{request.get('method')} {request.get('uri')} -> {status}"
        key = sample.split("?")[0]
        samples[key] = samples.get(key, 0) + 1
        if samples[key] <= 2 and len(figures.server_error_samples) < 30:
            figures.server_error_samples.append(sample[:300])


def summary(results: list[Figures]) -> str:
    lines = [f"{'API':<10}{'operations':>12}{'examples':>10}{'5xx':>6}  other checks failed"]
    for f in results:
        others = ", ".join(
            f"{name} {count}"
            for name, count in sorted(f.failures.items())
            if "server error" not in name.lower()
        )
        lines.append(
            f"{f.api:<10}{f.operations:>12}{f.examples:>10}{f.server_errors:>6}  {others or '-'}"
        )
        lines += [f"    5xx: {sample}" for sample in f.server_error_samples]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="cabinet-fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--max-time-s", type=int, default=None, help="per API")
    parser.add_argument("--api", action="append", choices=APIS, help="default: every API")
    parser.add_argument("--out", type=Path, default=Path("fuzz-results"))
    args = parser.parse_args()
    state_dir = Path(tempfile.mkdtemp(prefix="cabinet-fuzz-"))
    stack = Stack(StackConfig.on_free_ports(state_dir, fast_group_join=True))
    print(f"starting a stack in {state_dir}", flush=True)
    results: list[Figures] = []
    try:
        stack.up()
        config = stack.config
        # Something to find: the demo department, its filers and an open quarter.
        seed_demo(config.url("cycles"), config.url("intake"), config.machine_auth())
        for api in args.api or APIS:
            print(f"fuzzing {api} ...", flush=True)
            results.append(
                fuzz_api(config, api, args.out, args.max_examples, max_time_s=args.max_time_s)
            )
            # Without credentials every route is a 401: a few examples show it is documented.
            results.append(
                fuzz_api(
                    config,
                    api,
                    args.out,
                    min(args.max_examples, 5),
                    phases="examples,fuzzing",
                    max_time_s=args.max_time_s,
                    anonymous=True,
                )
            )
    finally:
        stack.down()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(
        json.dumps([asdict(f) for f in results], indent=2) + "\n"
    )
    print(summary(results))
    print(f"wrote {args.out}/; stack logs in {state_dir / 'logs'}")
    sys.exit(1 if any(f.server_errors for f in results) else 0)


if __name__ == "__main__":
    main()
