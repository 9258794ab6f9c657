"""The analysis pages' controls that a link can set: their choices and ranges, in one place.

The pages draw them; :mod:`sae_core.ui.url_state` registers them as link fields that apply only
on their page (``?page=filters&lat=17`` opens latent #17), so both read the same values here.
"""

from __future__ import annotations

RECON_MODES: dict[str, str] = {
    "random": "Random",
    "best": "Best",
    "worst": "Worst",
    "label": "By label",
}
RECON_DEFAULT_SHOWN = 8
RECON_MAX_SHOWN = 16
UNIT_CHOICES: dict[str, str] = {
    "original": "original units",
    "model": "model units (as trained)",
}
FILTER_WEIGHTS: tuple[str, ...] = ("decoder", "encoder")
ATOMS_PER_PAGE = 64
HEATMAP_MIN_ROWS, HEATMAP_MAX_ROWS = 10, 500  # Activations' "Samples (rows)" slider
HEATMAP_DEFAULT_ROWS = 100
GT_THRESHOLD_RANGE = (0.5, 1.0)  # Ground truth: "recovered when the best cosine is at least"
GT_DEFAULT_THRESHOLD = 0.9
