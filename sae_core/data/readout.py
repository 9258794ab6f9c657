"""The part of a network after a spliced layer, in numpy, so analysis can run it on x̂."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Readout:
    """The network after the spliced layer: ``weights[i]`` [d_out, d_in], ``biases[i]`` [d_out].

    ReLU after every layer but the last, whose output is the class logits.
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def logits(self, h: np.ndarray) -> np.ndarray:
        """Layer activations [n, d] (original units) -> logits [n, n_classes] float64."""
        out = np.asarray(h, np.float64)
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            out = out @ w.T.astype(np.float64) + b
            if i < len(self.weights) - 1:
                out = np.maximum(out, 0.0)
        return out
