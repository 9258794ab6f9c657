"""The bytes of a saved run: building its four files and parsing them back (no disk access here).

A run folder holds ``config.json``, ``weights.safetensors`` (W_enc [d_in, d_sae], W_dec [d_sae, d_in],
b_enc [d_sae], b_dec [d_in], float32, and the method's extra per-latent tensors such as JumpReLU's
``threshold`` [d_sae]), ``metrics.json`` and ``history.csv``. Parsing never unpickles:
safetensors and JSON only, and every way a file can be wrong becomes a RunError naming the file.
"""

from __future__ import annotations

import io
import json
import math
import numbers
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import Tensor

from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import ConfigError, RunError
from sae_core.model import SparseAutoencoder, check_weight_shapes, expected_shapes, weight_names
from sae_core.runs.store import CONFIG_FILE, HISTORY_FILE, METRICS_FILE, WEIGHTS_FILE

FORMAT_VERSION = 1
RUN_FILES: tuple[str, ...] = (WEIGHTS_FILE, METRICS_FILE, HISTORY_FILE, CONFIG_FILE)
# pandas 2 parses floats approximately unless asked; pandas 3 is exact and deprecates the option.
_EXACT_FLOATS: dict[str, Any] = (
    {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
)
SPLIT_KEY, SPLITS = "split", ("test", "train")  # metrics.json's one text field and its values
_CONFIG_KEYS = frozenset(
    {"format_version", "sae", "train", "data", "created", "train_seconds", "extra"}
)


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """What ``config.json`` holds."""

    sae: SAEConfig
    train: TrainConfig
    data_name: str
    created: datetime  # timezone-aware
    train_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def config_to_json(run_cfg: RunConfig) -> bytes:
    data = {
        "format_version": FORMAT_VERSION,
        "sae": run_cfg.sae.to_dict(),
        "train": run_cfg.train.to_dict(),
        "data": run_cfg.data_name,
        "created": run_cfg.created.isoformat(),
        "train_seconds": run_cfg.train_seconds,
        "extra": run_cfg.extra,
    }
    try:
        return json.dumps(data, indent=2, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise RunError(
            f"the run's extra information cannot be saved as JSON ({exc}): "
            "pass only strings, numbers, lists and dicts"
        ) from None


def parse_config(raw: bytes, source: str) -> RunConfig:
    """Parse ``config.json``; ``source`` names the file in messages."""
    data = _load_json_object(raw, source)
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RunError(
            f"{source} has no valid format_version ({version!r}): "
            "it was not written by SAE Explorer"
        )
    if version > FORMAT_VERSION:
        raise RunError(
            f"{source} was saved by a newer SAE Explorer (format {version}; this one "
            f"reads up to {FORMAT_VERSION}): upgrade SAE Explorer to load it"
        )
    unknown = sorted(set(data) - _CONFIG_KEYS)
    if unknown:
        raise RunError(
            f"{source} has unknown field(s) {', '.join(unknown)}: "
            "it may come from a newer SAE Explorer; upgrade, or remove them"
        )
    try:
        sae = SAEConfig.from_dict(data.get("sae"))  # type: ignore[arg-type]
        train = TrainConfig.from_dict(data.get("train"))  # type: ignore[arg-type]
    except ConfigError as exc:
        raise RunError(f"{source}: {exc}") from None
    data_name, extra, seconds = (
        data.get("data", ""),
        data.get("extra", {}),
        data.get("train_seconds"),
    )
    if not isinstance(data_name, str) or not isinstance(extra, dict):
        raise RunError(
            f"{source}: 'data' must be a string and 'extra' an object: the file is corrupt"
        )
    if seconds is not None and not _is_number(seconds):
        raise RunError(f"{source}: train_seconds={seconds!r} is not a number: the file is corrupt")
    return RunConfig(
        sae=sae,
        train=train,
        data_name=data_name,
        extra=extra,
        created=_parse_created(data.get("created"), source),
        train_seconds=None if seconds is None else float(seconds),
    )


def _parse_created(value: object, source: str) -> datetime:
    try:
        created = datetime.fromisoformat(str(value))
    except ValueError:
        raise RunError(
            f"{source}: created={value!r} is not an ISO date-time: the file is corrupt"
        ) from None
    # A hand-edited naive time is read as UTC so that every run sorts on one clock.
    return created if created.tzinfo else created.replace(tzinfo=timezone.utc)


def _load_json_object(raw: bytes, source: str) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise RunError(
            f"{source} is not UTF-8 text: the file is corrupt; delete the run or restore the file"
        ) from None
    except json.JSONDecodeError as exc:
        raise RunError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno}): the file is "
            "corrupt; delete the run or restore the file"
        ) from None
    if not isinstance(data, dict):
        raise RunError(
            f"{source} must hold a JSON object, not {type(data).__name__}: the file is corrupt"
        )
    return data


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def weights_to_bytes(model: SparseAutoencoder) -> bytes:
    """safetensors bytes of the four tensors; metadata values must be strings."""
    return save_safetensors(
        model.weights(),
        metadata={"format_version": str(FORMAT_VERSION), "producer": "sae-explorer"},
    )


def weights_from_bytes(raw: bytes, cfg: SAEConfig, source: str) -> dict[str, Tensor]:
    """Parse and validate weights against ``cfg``: names, float32, shapes, finite values."""
    try:
        tensors = load_safetensors(raw)
    except SafetensorError as exc:
        raise RunError(
            f"{source} is not a readable safetensors file ({exc}): it is truncated or "
            "corrupt; delete the run or restore the file"
        ) from None
    check_weight_layout(
        {k: tuple(t.shape) for k, t in tensors.items()},
        {k: str(t.dtype) for k, t in tensors.items()},
        cfg,
        source,
    )
    try:
        check_weight_shapes(cfg, tensors)
    except RunError as exc:
        raise RunError(f"{source}: {exc}") from None
    return tensors


def check_weight_layout(
    shapes: Mapping[str, tuple[int, ...]], dtypes: Mapping[str, str], cfg: SAEConfig, source: str
) -> None:
    """Check tensor names, float32 dtypes and shapes (from a header alone, or loaded tensors)."""
    unexpected = sorted(set(shapes) - set(weight_names(cfg)))
    if unexpected:
        raise RunError(
            f"{source} holds unexpected tensor(s) {', '.join(unexpected)}: "
            "it is not an SAE Explorer weights file"
        )
    for name, shape in expected_shapes(cfg).items():
        if name not in shapes:
            if name == "W_enc" and cfg.tied:
                continue
            raise RunError(f"{source} is missing tensor {name!r}: the file is incomplete")
        if dtypes[name] not in ("torch.float32", "F32"):
            raise RunError(
                f"{source}: tensor {name} is {dtypes[name]}, expected float32: "
                "the file is not an SAE Explorer weights file"
            )
        if tuple(shapes[name]) != shape:
            raise RunError(
                f"{source}: tensor {name} has shape {list(shapes[name])} but the config "
                f"says {list(shape)} (d_in={cfg.d_in}, d_sae={cfg.d_sae}): the weights "
                "and config do not belong together"
            )


def metrics_to_json(metrics: Mapping[str, float | int | str | None]) -> bytes:
    """JSON object of metric -> number; NaN and ±inf become null (JSON has no NaN); ``split``
    names the split the metrics were measured on ("test" for a run), as the CLI's JSON does."""
    clean: dict[str, float | int | str | None] = {}
    for key, value in metrics.items():
        if not isinstance(key, str):
            raise RunError(f"metric name {key!r} is not a string: name metrics with strings")
        clean[key] = _clean_metric(key, value)
    return json.dumps(clean, indent=2, allow_nan=False).encode()


def _clean_metric(key: str, value: object) -> float | int | str | None:
    if value is None:
        return None
    if key == SPLIT_KEY:  # the one text field; older runs have none
        if value not in SPLITS:
            raise RunError(f"metric {key!r} has value {value!r}: choose {' or '.join(SPLITS)}")
        return str(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if not _is_number(value):
        raise RunError(f"metric {key!r} has value {value!r}: metrics must be numbers or None")
    if isinstance(value, numbers.Integral):
        return int(value)
    as_float = float(value)  # type: ignore[arg-type]
    return as_float if math.isfinite(as_float) else None


def parse_metrics(raw: bytes, source: str) -> dict[str, float | int | str | None]:
    data = _load_json_object(raw, source)
    try:
        return {key: _clean_metric(key, value) for key, value in data.items()}
    except RunError as exc:
        raise RunError(f"{source}: {exc}") from None


def history_to_csv(history: pd.DataFrame) -> bytes:
    """One row per logged step; an empty table becomes an empty file."""
    if not isinstance(history, pd.DataFrame):
        raise RunError(f"history must be a pandas DataFrame, not {type(history).__name__}")
    if history.shape[1] == 0:
        return b""
    return history.to_csv(index=False).encode()


def parse_history(raw: bytes, source: str) -> pd.DataFrame:
    if not raw.strip():
        return pd.DataFrame()
    try:
        return pd.read_csv(io.BytesIO(raw), **_EXACT_FLOATS)
    except (ValueError, UnicodeDecodeError) as exc:  # ParserError is a ValueError
        raise RunError(
            f"{source} is not a readable CSV table ({exc}): the file is corrupt; "
            "delete the run or restore the file"
        ) from None


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """An in-memory zip archive of ``{name: content}`` (for download buttons)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
