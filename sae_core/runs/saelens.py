"""Export to the SAELens 6.x layout (``cfg.json`` + ``sae_weights.safetensors``) and read it back.

SAELens encodes ``act((x − b_dec·apply_b_dec_to_input) W_enc + b_enc)`` and decodes
``f W_dec + b_dec``: with ``apply_b_dec_to_input`` true that is exactly our model, so the tensors are
written unchanged. Each method's SAELens architecture comes from the registry (``Method.saelens``):
``standard`` is a ReLU SAE (our none / l1 / l2 methods); ``topk`` keeps the k largest
pre-activations then applies ReLU, which selects the same values as our ReLU-then-top-k;
``jumprelu`` encodes ``z·1[z > threshold]`` with ``threshold`` [d_sae] one more tensor: our
JumpReLU exactly, and BatchTopK's inference encoder with its one θ (clamped at 0: before its first
batch θ is −1, meaning "every ReLU output passes", which a threshold of 0 says for SAELens).
Methods without one (the sigmoid encoders kl and contractive) are refused.

over 300 lines: export and import are the two directions of one format and share its field
names and checks.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import Tensor

from sae_core import methods
from sae_core.config import SAEConfig
from sae_core.data.dataset import Preprocessing
from sae_core.errors import ConfigError, RunError
from sae_core.model import SparseAutoencoder, check_weight_shapes, weight_names
from sae_core.runs import load_run
from sae_core.runs.format import FORMAT_VERSION, zip_bytes
from sae_core.runs.store import fsync_dir, write_synced

SAELENS_CFG_FILE = "cfg.json"
SAELENS_WEIGHTS_FILE = "sae_weights.safetensors"
# SAELens reads a config without a 6.x version in its metadata as a pre-6.0 file and rewrites it;
# this names the layout we write, not an installed SAELens.
SAELENS_LAYOUT_VERSION = "6.0.0"
_OUR_METADATA_KEY = "sae_explorer"


def saelens_architecture(cfg: SAEConfig) -> str:
    """The method's SAELens architecture (``standard``, ``topk``); RunError where it has none."""
    method = methods.get(cfg.method)
    if method.saelens is None:
        exportable = [m.name for m in methods.all_methods() if m.saelens is not None]
        raise RunError(
            f"method {cfg.method!r} uses a {method.activation} encoder, which SAELens has no "
            f"architecture for: export a model of method {_join(exportable)} instead"
        )
    return method.saelens


def _join(names: list[str], last: str = "or") -> str:
    """``a``, ``a or b``, ``a, b or c`` (``and`` for ``last="and"``)."""
    return f" {last} ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def preprocessing_dict(preprocessing: Preprocessing) -> dict[str, Any]:
    """The input scaling as JSON: feed SAELens ``(x_raw − offset) / scale``, as in training."""
    return {
        "formula": "x = (x_raw - offset) / scale",
        "steps": list(preprocessing.steps),
        "offset": np.asarray(preprocessing.offset, dtype=np.float64).tolist(),
        "scale": np.asarray(preprocessing.scale, dtype=np.float64).tolist(),
    }


def saelens_cfg_dict(
    cfg: SAEConfig,
    *,
    dataset_path: str = "",
    hook_name: str = "sae_explorer",
    preprocessing: Preprocessing | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``cfg.json`` object SAELens 6.x's ``SAE.load_from_disk`` expects.

    SAELens has no affine input scaling (its ``normalize_activations`` are norm rescalings), so
    the data's preprocessing goes into our metadata: inputs must be scaled as in training.
    ``metrics`` (a run's held-out metrics) fill the metadata's final ``l0`` and ``dead_latents``.
    """
    architecture = saelens_architecture(cfg)
    data: dict[str, Any] = {
        "architecture": architecture,
        "d_in": cfg.d_in,
        "d_sae": cfg.d_sae,
        "dtype": "float32",
        "device": "cpu",
        "apply_b_dec_to_input": True,  # our encoder subtracts b_dec from x
        "normalize_activations": "none",
        "reshape_activations": "none",
        "metadata": {
            "sae_lens_version": SAELENS_LAYOUT_VERSION,
            "sae_lens_training_version": None,
            "hook_name": hook_name,
            "dataset_path": dataset_path,
            **training_metadata(cfg, metrics),
            # Our own config, so load_saelens restores the exact model (method, λ, tied...).
            _OUR_METADATA_KEY: {"format_version": FORMAT_VERSION, "sae": cfg.to_dict()},
        },
    }
    if preprocessing is not None:
        data["metadata"][_OUR_METADATA_KEY]["preprocessing"] = preprocessing_dict(preprocessing)
    if architecture == "topk":  # SAELens's topk fields
        data["k"] = cfg.k
        data["rescale_acts_by_decoder_norm"] = False
    return data


def training_metadata(cfg: SAEConfig, metrics: Mapping[str, Any] | None) -> dict[str, Any]:
    """SAELens metadata on training: the architecture it was trained as (our method: a BatchTopK
    exports as ``jumprelu``), its final held-out L0 and dead-latent count (None where unknown)."""
    metrics = metrics or {}
    l0, dead = metrics.get("l0"), metrics.get("dead_fraction")
    known = [isinstance(v, int | float) and math.isfinite(v) for v in (l0, dead)]
    return {
        "training_architecture": cfg.method,
        "l0": float(l0) if known[0] else None,  # type: ignore[arg-type]
        "dead_latents": round(float(dead) * cfg.d_sae) if known[1] else None,  # type: ignore[arg-type]
    }


def saelens_files(
    model: SparseAutoencoder,
    *,
    dataset_path: str = "",
    hook_name: str = "sae_explorer",
    preprocessing: Preprocessing | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> dict[str, bytes]:
    """``{file name: bytes}`` of the SAELens layout, weights first."""
    cfg = saelens_cfg_dict(
        model.cfg,
        dataset_path=dataset_path,
        hook_name=hook_name,
        preprocessing=preprocessing,
        metrics=metrics,
    )
    return {
        SAELENS_WEIGHTS_FILE: save_safetensors(saelens_weights(model)),
        SAELENS_CFG_FILE: json.dumps(cfg, indent=2).encode(),
    }


def saelens_weights(model: SparseAutoencoder) -> dict[str, Tensor]:
    """The tensors SAELens's architecture reads: ours, with a JumpReLU ``threshold`` ≥ 0, renamed
    where SAELens names them otherwise (``Method.saelens_names``: gated's ``b_gate``)."""
    weights = model.weights()
    if "threshold" in weights:
        weights["threshold"] = weights["threshold"].clamp_min(0.0)
    for ours, theirs in methods.get(model.cfg.method).saelens_names.items():
        weights[theirs] = weights.pop(ours)  # a gated SAE's b_gate is our b_enc
    return weights


def export_saelens(
    model: SparseAutoencoder,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    dataset_path: str = "",
    hook_name: str = "sae_explorer",
    preprocessing: Preprocessing | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> Path:
    """Write the SAELens layout into ``out_dir`` (created if needed) and return it; ``metrics``
    (the run's) go into the metadata (:func:`training_metadata`)."""
    files = saelens_files(
        model,
        dataset_path=dataset_path,
        hook_name=hook_name,
        preprocessing=preprocessing,
        metrics=metrics,
    )
    return write_export(files, out_dir, overwrite=overwrite)


def write_export(files: Mapping[str, bytes], out_dir: str | Path, *, overwrite: bool) -> Path:
    """Write ``files`` into ``out_dir`` (created if needed), refusing to replace existing ones
    unless ``overwrite``; returns the folder."""
    folder = Path(out_dir).expanduser()
    existing = [name for name in files if os.path.lexists(folder / name)]
    if existing and not overwrite:
        raise RunError(
            f"{folder} already holds {', '.join(existing)}: choose an empty folder, or overwrite them (CLI: --overwrite)"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            _replace_file(folder / name, content)
        fsync_dir(folder)
    except OSError as exc:
        raise RunError(
            f"could not write the SAELens export to {folder} ({exc.strerror or exc}): "
            "check free disk space and write permission"
        ) from None
    return folder


def _replace_file(path: Path, content: bytes) -> None:
    """Write via a temp file and rename, so a reader never sees a half-written file."""
    tmp = path.with_name(f".tmp-{path.name}-{uuid.uuid4().hex[:8]}")
    try:
        write_synced(tmp, content)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_saelens_run(
    run: str | Path,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    root: str | Path | None = None,
    hook_name: str = "sae_explorer",
) -> Path:
    """Export a saved run (name or folder, as in ``load_run``); its data name becomes dataset_path."""
    loaded = load_run(run, root)
    return export_saelens(
        loaded.model,
        out_dir,
        overwrite=overwrite,
        dataset_path=loaded.data_name,
        hook_name=hook_name,
        metrics=loaded.metrics,
    )


def saelens_zip_bytes(
    model: SparseAutoencoder,
    *,
    dataset_path: str = "",
    hook_name: str = "sae_explorer",
    preprocessing: Preprocessing | None = None,
) -> bytes:
    """The SAELens layout as an in-memory zip (for a download button)."""
    files = saelens_files(
        model, dataset_path=dataset_path, hook_name=hook_name, preprocessing=preprocessing
    )
    return zip_bytes(files)


def load_saelens(folder: str | Path) -> SparseAutoencoder:
    """Read a SAELens-layout folder (ours, or a plain SAELens SAE of any architecture a
    registered method exports to: its tensors read by name, SAELENS_TENSOR_NAMES mapped) as our
    model."""
    folder = Path(folder).expanduser()
    return saelens_from_bytes(
        _read(folder / SAELENS_CFG_FILE), lambda: _read(folder / SAELENS_WEIGHTS_FILE), folder
    )


def saelens_from_bytes(
    raw_cfg: bytes, read_weights: Callable[[], bytes], folder: Path
) -> SparseAutoencoder:
    """Our model from a SAELens ``cfg.json``'s bytes and its weights' (read once the config is
    known good); ``folder`` names the source in messages (a folder, or a zip and its folder)."""
    try:
        cfg_dict = json.loads(raw_cfg.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RunError(
            f"{folder / SAELENS_CFG_FILE} is not valid JSON: the file is corrupt"
        ) from None
    if not isinstance(cfg_dict, dict):
        raise RunError(f"{folder / SAELENS_CFG_FILE} must hold a JSON object: the file is corrupt")
    cfg = _sae_config_from_saelens(cfg_dict, folder / SAELENS_CFG_FILE)
    weights = _read_saelens_weights(read_weights(), folder / SAELENS_WEIGHTS_FILE, cfg)
    try:
        check_weight_shapes(cfg, weights)
    except RunError as exc:
        raise RunError(f"{folder / SAELENS_WEIGHTS_FILE}: {exc}") from None
    if not cfg_dict.get("apply_b_dec_to_input", True):
        # SAELens then encodes x·W_enc + b_enc; fold b_dec into b_enc to match (x − b_dec)·W_enc.
        W_enc = weights["W_dec"].t() if "W_enc" not in weights else weights["W_enc"]
        weights["b_enc"] = weights["b_enc"] + weights["b_dec"] @ W_enc
        if "b_mag" in weights and "r_mag" in weights:  # gated's magnitude path, likewise
            W_mag = W_enc * weights["r_mag"].exp()
            weights["b_mag"] = weights["b_mag"] + weights["b_dec"] @ W_mag
    return SparseAutoencoder(cfg, weights)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RunError(
            f"{path} is missing: a SAELens folder holds cfg.json and sae_weights.safetensors"
        ) from None
    except OSError as exc:
        raise RunError(
            f"cannot read {path} ({exc.strerror or exc}): check its permissions"
        ) from None


def _sae_config_from_saelens(data: dict[str, Any], source: Path) -> SAEConfig:
    architecture = data.get("architecture", "standard")
    method = _method_for(architecture)
    if method is None:
        known = list(dict.fromkeys(m.saelens for m in methods.all_methods() if m.saelens))
        raise RunError(
            f"{source}: architecture {architecture!r} is not supported: "
            f"only {_join([repr(a) for a in known], 'and')} SAEs can be loaded here"
        )
    if data.get("normalize_activations") not in (None, "none"):
        raise RunError(
            f"{source}: normalize_activations={data['normalize_activations']!r} is not "
            "supported: fold the normalisation into the weights first"
        )
    if method.uses_k and data.get("rescale_acts_by_decoder_norm"):
        raise RunError(
            f"{source}: rescale_acts_by_decoder_norm is not supported: "
            "fold the decoder norms into the weights first"
        )
    metadata = data.get("metadata")
    ours = metadata.get(_OUR_METADATA_KEY) if isinstance(metadata, dict) else None
    try:
        if isinstance(ours, dict) and isinstance(ours.get("sae"), dict):
            cfg = SAEConfig.from_dict(ours["sae"])
        else:
            # A plain SAELens SAE: the methods of one architecture encode alike, so one of them
            # (the default method where it fits) stands for all.
            extra: dict[str, Any] = {"k": data.get("k")} if method.uses_k else {}
            cfg = SAEConfig(
                d_in=data.get("d_in"),  # type: ignore[arg-type]
                d_sae=data.get("d_sae"),  # type: ignore[arg-type]
                method=method.name,
                **extra,
            )
    except ConfigError as exc:
        raise RunError(f"{source}: {exc}") from None
    if saelens_architecture(cfg) != architecture:
        raise RunError(
            f"{source}: architecture {architecture!r} disagrees with the saved method "
            f"{cfg.method!r}: the file was edited; export it again"
        )
    return cfg


def _method_for(architecture: object) -> methods.Method | None:
    """The method that loads a plain SAELens SAE of ``architecture``: SAEConfig's default method
    when it has that architecture, else the first registered one; None when no method has it."""
    fits = [m for m in methods.all_methods() if m.saelens is not None and m.saelens == architecture]
    if not fits:
        return None
    return next((m for m in fits if m.name == SAEConfig.method), fits[0])


# SAELens's tensor names where ours differ: a gated SAE's gate bias is our b_enc.
SAELENS_TENSOR_NAMES = {"b_gate": "b_enc"}


def _read_saelens_weights(raw: bytes, path: Path, cfg: SAEConfig) -> dict[str, Tensor]:
    try:
        tensors = load_safetensors(raw)
    except SafetensorError as exc:
        raise RunError(
            f"{path} is not a readable safetensors file ({exc}): it is truncated or "
            "corrupt; export it again"
        ) from None
    for theirs, ours in SAELENS_TENSOR_NAMES.items():
        if theirs in tensors and ours not in tensors:
            tensors[ours] = tensors.pop(theirs)
    unexpected = sorted(set(tensors) - set(weight_names(cfg)))
    if unexpected:
        raise RunError(
            f"{path} holds tensor(s) {', '.join(unexpected)} that a {saelens_architecture(cfg)} "
            "SAE does not have: this SAE type cannot be loaded here"
        )
    for name, tensor in tensors.items():
        if not tensor.is_floating_point():
            raise RunError(
                f"{path}: tensor {name} is {tensor.dtype}, not a float type: the file is not an SAE"
            )
    return {name: tensor.to(torch.float32) for name, tensor in tensors.items()}
