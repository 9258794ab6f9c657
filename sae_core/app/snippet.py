"""'Reproduce in Python': the current set-up as a script using sae_core's public API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sae_core.config import SAEConfig, TrainConfig


def _changed(cfg: Any, default: Any, skip: tuple[str, ...] = ()) -> list[str]:
    """``name=value`` for every field that differs from ``default`` (so the script stays short)."""
    out = []
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if f.name in skip or (default is not None and getattr(default, f.name) == value):
            continue
        out.append(f"{f.name}={value!r}")
    return out


def reproduce_snippet(
    data_spec: str, data_options: Mapping[str, Any], sae: SAEConfig, train: TrainConfig
) -> str:
    """A runnable script that loads the same data, trains the same model and prints metrics."""
    opts = "".join(f", {k}={v!r}" for k, v in sorted(data_options.items()))
    sae_args = ", ".join(
        ["d_in=dataset.d_in", *_changed(sae, SAEConfig(d_in=sae.d_in), skip=("d_in",))]
    )
    train_args = ", ".join(_changed(train, TrainConfig()))
    return (
        "from sae_core.config import SAEConfig, TrainConfig\n"
        "from sae_core.data import load_dataset\n"
        "from sae_core.training.fit import train\n\n"
        f"dataset = load_dataset({data_spec!r}{opts})\n"
        f"sae_config = SAEConfig({sae_args})\n"
        f"train_config = TrainConfig({train_args})\n"
        "result = train(sae_config, dataset, train_config)\n"
        "print(result.metrics.to_dict())\n"
        "model = result.model  # .encode(x), .decode(latents), .W_dec [d_sae, d_in]\n"
    )
