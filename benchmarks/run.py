"""Run the speed benchmarks and print one table: ``python -m benchmarks.run`` (``make bench``).

python -m benchmarks.run                 # every target (several minutes)
python -m benchmarks.run --quick         # fewer repeats and cases
python -m benchmarks.run --only digits,memory
python -m benchmarks.run --markdown      # also write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

# imported before anything sets a thread count: benchmarks.common records torch's default
from benchmarks.common import FAIL, Row, format_table, machine_info

BenchFn = Callable[[bool], list[Row]]
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MARKDOWN = ROOT / "docs" / "benchmarks.md"
NAMES: tuple[str, ...] = (
    "digits",
    "mnist",
    "sweep",
    "sklearn",
    "app",
    "threads",
    "gpu",
    "memory",
    "scenarios",
    "sparse",
    "first_page",
    "stream",
    "peer",
    "shared_cache",
)


def registry() -> dict[str, BenchFn]:
    from benchmarks import (
        app_latency,
        digits,
        first_page,
        gpu,
        memory,
        mnist_step,
        peer,
        scenarios,
        shared_cache,
        sklearn_compare,
        sparse,
        stream,
        sweep,
        threads,
    )

    return {
        "digits": digits.run,
        "mnist": mnist_step.run,
        "sweep": sweep.run,
        "sklearn": sklearn_compare.run,
        "app": app_latency.run,
        "threads": threads.run,
        "gpu": gpu.run,
        "memory": memory.run,
        "scenarios": scenarios.run,
        "sparse": sparse.run,
        "first_page": first_page.run,
        "stream": stream.run,
        "peer": peer.run,
        "shared_cache": shared_cache.run,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats and cases")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(NAMES)}")
    parser.add_argument(
        "--markdown",
        nargs="?",
        const=str(DEFAULT_MARKDOWN),
        default=None,
        metavar="PATH",
        help=f"also write the report as Markdown (default {DEFAULT_MARKDOWN.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)
    args.names = [n.strip() for n in args.only.split(",") if n.strip()] or list(NAMES)
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}: choose from {', '.join(NAMES)}")
    return args


def run_all(names: Sequence[str], quick: bool) -> tuple[list[Row], dict[str, float]]:
    """Rows of every benchmark in ``names`` (a crash becomes a FAIL row) and seconds each took."""
    from sae_core.training.device import apply_threads

    apply_threads(1)  # everything single-threaded unless a benchmark says otherwise
    benches = registry()
    rows: list[Row] = []
    seconds: dict[str, float] = {}
    for name in names:
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            rows += benches[name](quick)
        except Exception as exc:
            traceback.print_exc()
            rows.append(
                Row(name=name, measured=f"error: {exc}", target="", margin=None, status=FAIL)
            )
        seconds[name] = time.perf_counter() - start
        print(f"[bench] {name} done in {seconds[name]:.1f} s", file=sys.stderr, flush=True)
    return rows, seconds


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    rows, seconds = run_all(args.names, args.quick)
    print(format_table(rows))
    if args.markdown:
        from benchmarks.report import write_markdown

        command = "python -m benchmarks.run " + " ".join(sys.argv[1:] if argv is None else argv)
        path = write_markdown(Path(args.markdown), rows, machine, command.strip(), seconds)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
