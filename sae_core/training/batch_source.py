"""Training data that is not one tensor in memory: what the :class:`Trainer` asks of it.

A ``Trainer`` given a :class:`BatchSource` instead of an array draws each step's batch from
``batches`` (a file streamed from disk: :class:`sae_core.data.streamed.StreamedData`), keeps
``reference()`` in memory for what needs whole rows at hand (the divergence check's scale,
dead-latent resampling), and starts the decoder bias from ``mean()``, the mean of every
training row. It is a Protocol so the data layer need not import the training layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class BatchSource(Protocol):
    """Training rows served batch by batch."""

    @property
    def n_samples(self) -> int:
        """Training rows: an epoch is ``ceil(n_samples / batch_size)`` batches."""
        ...

    def reference(self) -> np.ndarray:
        """[m, d_in] float32 training rows held in memory (a sample)."""
        ...

    def mean(self) -> np.ndarray:
        """[d_in] float32 mean of all training rows."""
        ...

    def batches(self, batch_size: int, seed: int) -> Iterator[np.ndarray]:
        """Endless [B, d_in] float32 batches, epoch after epoch, each epoch
        ``ceil(n_samples / batch_size)`` batches with the last one short if need be."""
        ...
