"""A run's decoder as a SAELens ``matching_pursuit`` SAE (``export RUN --encoder mp --k K``).

SAELens's matching pursuit is tied and inference-only: it keeps ``W_dec`` [d_sae, d_in] and
``b_dec``, and at each of ``max_iterations`` steps adds the row with the largest *positive*
⟨residual, row⟩, that projection as its code (so rows must be unit norm), then decodes
``codes @ W_dec + b_dec``. Ours (:func:`sae_core.analysis.pursuit.matching_pursuit`) picks the
largest ``|⟨residual, atom⟩|`` and may subtract an atom. So the export holds each unit atom twice,
``W_dec = [Ŵ; −Ŵ]`` (d_sae' = 2·d_sae): the best positive projection over ±Ŵ is our best absolute
one, and the reconstruction is ours. Latent j (< d_sae) is atom j added, latent d_sae + j the
same atom subtracted; ``k`` steps exactly (no residual threshold, no early stop on an unchanged
support, since ours may pick an atom twice). Codes are in unit-atom units: our code of W_dec's
row j is (acts[j] − acts[d_sae + j]) / ‖W_dec[j]‖.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as save_safetensors

from sae_core.config import SAEConfig
from sae_core.data.dataset import Preprocessing
from sae_core.errors import ConfigError
from sae_core.model import SparseAutoencoder
from sae_core.runs.format import FORMAT_VERSION
from sae_core.runs.saelens import (
    _OUR_METADATA_KEY,
    SAELENS_CFG_FILE,
    SAELENS_LAYOUT_VERSION,
    SAELENS_WEIGHTS_FILE,
    preprocessing_dict,
    write_export,
)

MP_ARCHITECTURE = "matching_pursuit"


def mp_weights(model: SparseAutoencoder) -> dict[str, torch.Tensor]:
    """``W_dec`` [2·d_sae, d_in]: the unit atoms, then their negatives; ``b_dec`` [d_in]."""
    W = model.W_dec.detach().to(torch.float64).cpu()
    norms = W.norm(dim=1, keepdim=True)
    unit = (W / torch.where(norms > 0, norms, torch.ones_like(norms))).to(torch.float32)
    b_dec = model.b_dec.detach().to(torch.float32).cpu()
    return {"W_dec": torch.cat([unit, -unit]).contiguous(), "b_dec": b_dec.contiguous()}


def mp_cfg_dict(
    cfg: SAEConfig,
    k: int,
    *,
    dataset_path: str = "",
    hook_name: str = "sae_explorer",
    preprocessing: Preprocessing | None = None,
) -> dict[str, Any]:
    """The ``cfg.json`` of SAELens 6.x's ``MatchingPursuitSAEConfig`` for ``k`` steps."""
    if k < 1:
        raise ConfigError(f"k={k!r} is invalid: matching pursuit needs at least one step")
    ours: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "sae": cfg.to_dict(),
        "encoder": {"name": "mp", "k": k, "latents": "j: +atom j; d_sae + j: -atom j"},
    }
    if preprocessing is not None:
        ours["preprocessing"] = preprocessing_dict(preprocessing)
    return {
        "architecture": MP_ARCHITECTURE,
        "d_in": cfg.d_in,
        "d_sae": 2 * cfg.d_sae,
        "dtype": "float32",
        "device": "cpu",
        "apply_b_dec_to_input": True,  # pursue x − b_dec, decode codes @ W_dec + b_dec
        "normalize_activations": "none",
        "reshape_activations": "none",
        "residual_threshold": 0.0,  # 0 turns the residual test off: k steps, as ours
        "max_iterations": k,
        "stop_on_duplicate_support": False,
        "metadata": {
            "sae_lens_version": SAELENS_LAYOUT_VERSION,
            "sae_lens_training_version": None,
            "hook_name": hook_name,
            "dataset_path": dataset_path,
            "training_architecture": cfg.method,
            _OUR_METADATA_KEY: ours,
        },
    }


def export_saelens_mp(
    model: SparseAutoencoder,
    out_dir: str | Path,
    k: int,
    *,
    overwrite: bool = False,
    dataset_path: str = "",
    hook_name: str = "sae_explorer",
    preprocessing: Preprocessing | None = None,
) -> Path:
    """Write the model's decoder as a SAELens matching-pursuit SAE of ``k`` steps to ``out_dir``."""
    cfg = mp_cfg_dict(
        model.cfg, k, dataset_path=dataset_path, hook_name=hook_name, preprocessing=preprocessing
    )
    files: Mapping[str, bytes] = {
        SAELENS_WEIGHTS_FILE: save_safetensors(mp_weights(model)),
        SAELENS_CFG_FILE: json.dumps(cfg, indent=2).encode(),
    }
    return write_export(files, out_dir, overwrite=overwrite)


def mp_steps(k: int | None, metrics: Mapping[str, Any] | None) -> int:
    """``k`` when given, else the run's held-out L0 rounded (at least 1): the fair budget."""
    if k is not None:
        if k < 1:
            raise ConfigError(f"--k {k} is invalid: matching pursuit needs at least one step")
        return k
    l0 = (metrics or {}).get("l0")
    if not isinstance(l0, int | float) or l0 != l0:
        raise ConfigError("the run records no held-out L0: give the pursuit's steps with --k K")
    return max(1, round(l0))
