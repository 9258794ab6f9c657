"""A live progress line on stderr for ``train`` and ``sweep``: steps, steps/s, ETA, loss and L0.

Shown only on a terminal and never with ``--json`` (:func:`progress_for`), so pipes, logs and
JSON consumers see nothing of it. It is a ``Trainer.run`` callback: it reads the trainer's step
count and its latest :class:`~sae_core.training.trainer.StepStats`, redrawing at most every
``min_interval`` seconds so a fast step is not slowed down by the terminal.
"""

from __future__ import annotations

import sys
import time
import weakref
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # torch stays unimported until training starts
    from sae_core.training.trainer import Trainer

_CLEAR = "\r\x1b[K"  # back to the line's start and erase it
_BAR = 20


def progress_for(json_output: bool, n_groups: int = 1, label: str = "train") -> ProgressLine | None:
    """A progress line on stderr when it is a terminal and no JSON is asked for, else None."""
    if json_output or not sys.stderr.isatty():
        return None
    return ProgressLine(sys.stderr, n_groups=n_groups, label=label)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _spread(values: list[float]) -> str:
    """One value as ``0.0123``; a stack's values as their range ``0.01–0.03``."""
    low, high = min(values), max(values)
    return f"{low:.4g}" if low == high else f"{low:.4g}–{high:.4g}"


class ProgressLine:
    """Draws ``label [####....] 120/240 steps 812 steps/s ETA 0:01 loss 0.0123 L0 12.3``.

    ``n_groups``: how many trainers of equal length will report (a sweep trains one stacked
    trainer per shape); a new trainer object starts the next group.
    """

    def __init__(
        self, stream: TextIO, *, n_groups: int = 1, label: str = "train", min_interval: float = 0.1
    ) -> None:
        self.stream = stream
        self.n_groups = max(1, n_groups)
        self.label = label
        self.min_interval = min_interval
        self.group = -1
        self._trainer: weakref.ref[Trainer] | None = None
        self._start = time.monotonic()
        self._last_draw = 0.0
        self.drawn = False

    def __call__(self, trainer: Trainer) -> None:
        if self._trainer is None or self._trainer() is not trainer:
            self._trainer = weakref.ref(trainer)
            self.group += 1
        now = time.monotonic()
        if now - self._last_draw < self.min_interval and not trainer.done:
            return
        self._last_draw = now
        self.stream.write(_CLEAR + self.line(trainer, now - self._start))
        self.stream.flush()
        self.drawn = True

    def line(self, trainer: Trainer, elapsed: float) -> str:
        """The text of the line after ``elapsed`` seconds (no control characters)."""
        per_group = trainer.total_steps
        done = min(self.group, self.n_groups - 1) * per_group + trainer.step_count
        total = self.n_groups * per_group
        filled = int(_BAR * done / max(1, total))
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = _clock((total - done) / rate) if rate > 0 else "?"
        parts = [f"{self.label} [{'#' * filled}{'.' * (_BAR - filled)}] {done}/{total} steps"]
        if self.n_groups > 1:
            parts.append(f"(group {min(self.group + 1, self.n_groups)}/{self.n_groups})")
        parts.append(f"{rate:.0f} steps/s ETA {eta}")
        stats = trainer.last_stats
        if stats is not None:
            parts.append(f"loss {_spread(stats.loss)} L0 {_spread(stats.l0)}")
        return " ".join(parts)

    def close(self) -> None:
        """Erase the line, so the command's own output starts on a clean line."""
        if self.drawn:
            self.stream.write(_CLEAR)
            self.stream.flush()
