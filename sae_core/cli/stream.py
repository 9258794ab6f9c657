"""``train`` on a ``.npy`` larger than memory: streamed from disk (:mod:`sae_core.data.streamed`).

A ``.npy`` over the in-memory limit (``MAX_FILE_BYTES``, which the app and the in-memory
loader refuse) streams automatically; ``--stream`` streams a smaller one too. While the one
pass over the file checks it and gathers the preprocessing statistics, a ``scan`` progress line
shows on stderr (a terminal only, never with ``--json``), as the training's own line does.
``eval`` and ``export`` of such a run measure the held-out sample of the same split.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sae_core.cli.options import COMMON_DATA_OPTIONS, data_options
from sae_core.errors import ConfigError

if TYPE_CHECKING:  # the data layer's numpy-heavy modules load only when a file streams
    from sae_core.data.dataset import Dataset
    from sae_core.data.streamed import StreamedData

_CLEAR = "\r\x1b[K"


def stream_path(args: argparse.Namespace) -> Path | None:
    """The .npy ``train`` streams, or None to load the data in memory; ConfigError for options
    a streamed file cannot take. Reads only the file's size (before torch is imported)."""
    path = _large_npy(args.data, force=args.stream)
    if path is not None:
        _check_options(data_options(args), path)
    return path


def streamed_held_out(spec: str, options: dict[str, Any]) -> Dataset | None:
    """eval/export of a run trained on a streamed .npy: the held-out sample of the very same
    split (its options as the run recorded them), or None for data that loads in memory."""
    path = _large_npy(spec, force=False)
    if path is None:
        return None
    _check_options(options, path)
    from sae_core.data.streamed import load_streamed

    return load_streamed(
        path,
        test_fraction=options.get("test_fraction", 0.2),
        seed=options.get("seed", 0),
        max_samples=options.get("max_samples"),
        preprocess=options.get("preprocess"),
    ).dataset


def _large_npy(spec_text: str, *, force: bool) -> Path | None:
    """The path of ``spec_text`` when it is a .npy to stream: over the in-memory limit, or any
    size when ``force`` (--stream, which refuses other data)."""
    from sae_core.data import parse_data_spec
    from sae_core.data.files.tabular import MAX_FILE_BYTES

    spec = parse_data_spec(spec_text)
    is_npy = spec.source == "file" and Path(spec.path or "").suffix.lower() == ".npy"
    path = Path(spec.path or "").expanduser().resolve()
    if force and not is_npy:
        raise ConfigError(
            f"--stream reads .npy files only, not {spec_text}: save the matrix with np.save"
        )
    return path if is_npy and (force or path.stat().st_size > MAX_FILE_BYTES) else None


def _check_options(options: dict[str, Any], path: Path) -> None:
    extra = sorted(set(options) - set(COMMON_DATA_OPTIONS))
    if extra:
        raise ConfigError(
            f"--opt {', '.join(extra)} does not apply to a streamed .npy ({path.name}): a "
            "streamed file is a plain [samples, features] matrix; drop the option"
        )


def load_stream(args: argparse.Namespace, path: Path) -> StreamedData:
    """Open and scan ``path`` with the command's split and preprocessing options."""
    from sae_core.data.streamed import load_streamed

    line = None if args.json or not sys.stderr.isatty() else ScanLine(sys.stderr)
    try:
        return load_streamed(
            path,
            test_fraction=args.test_fraction,
            seed=args.data_seed,
            max_samples=args.max_samples,
            preprocess=args.preprocess,
            progress=line,
        )
    finally:
        if line is not None:
            line.close()


class ScanLine:
    """Draws ``scan [####....] 400000/1000000 rows 812345 rows/s ETA 0:01`` on a terminal."""

    def __init__(self, stream: TextIO, *, min_interval: float = 0.1) -> None:
        self.stream = stream
        self.min_interval = min_interval
        self._start = time.monotonic()
        self._last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < self.min_interval and done < total:
            return
        self._last = now
        self.stream.write(_CLEAR + self.line(done, total, now - self._start))
        self.stream.flush()
        self.drawn = True

    @staticmethod
    def line(done: int, total: int, elapsed: float) -> str:
        """The text after ``elapsed`` seconds (no control characters)."""
        filled = int(20 * done / max(1, total))
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = f"{(total - done) / rate:.0f} s" if rate > 0 else "?"
        bar = "#" * filled + "." * (20 - filled)
        return f"scan [{bar}] {done}/{total} rows {rate:.0f} rows/s ETA {eta}"

    def close(self) -> None:
        if self.drawn:
            self.stream.write(_CLEAR)
            self.stream.flush()
