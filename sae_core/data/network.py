"""``net:digits``: a small MLP classifier whose hidden-layer activations are the SAE's data.

The classifier (``hidden_layers`` ReLU layers of ``width`` units, then a linear read-out to the
10 classes) is trained on the digits training split in about a second, single-threaded and
seeded, and cached on disk under a digest of its set-up. :class:`Readout` is the rest of the
network after the chosen layer, kept on the Dataset so an SAE's reconstruction can be spliced in
(:mod:`sae_core.analysis.splice`).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sae_core.data.loaders import SourceRequest, _digits_arrays
from sae_core.data.mnist.download import default_cache_dir
from sae_core.data.mnist.folder import mnist_folder, raw_from_idx
from sae_core.data.mnist.idx import write_atomically
from sae_core.data.preprocessing import RawData, split_indices, subsample_indices
from sae_core.data.readout import Readout
from sae_core.errors import ConfigError, DataError

NET_BASES: tuple[str, ...] = ("net:digits", "net:mnist[:FOLDER]")
_VERSION = 1  # bump when training changes, so stale cached networks are not reused
_BATCH = 64


@dataclass(frozen=True, kw_only=True)
class NetSpec:
    """The classifier's set-up; ``layer`` k is the ReLU output of hidden layer k (1-based)."""

    width: int = 64
    hidden_layers: int = 2
    layer: int = 1
    epochs: int = 30  # full passes over the training split; ~97% test accuracy on digits
    net_seed: int = 0  # the network's initialisation and batch order (the split has its own)
    lr: float = 3e-3

    def __post_init__(self) -> None:
        for name, low, high in (("width", 2, 4096), ("hidden_layers", 1, 4), ("epochs", 1, 1000)):
            value = getattr(self, name)
            if not (
                isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            ):
                raise ConfigError(f"{name}={value!r} is invalid: choose an integer {low}..{high}")
        if not (isinstance(self.layer, int) and 1 <= self.layer <= self.hidden_layers):
            raise ConfigError(
                f"layer={self.layer!r} does not exist: the network has {self.hidden_layers} "
                f"hidden layer(s); choose 1..{self.hidden_layers} (or raise hidden_layers)"
            )
        if not (isinstance(self.net_seed, int) and 0 <= self.net_seed < 2**31):
            raise ConfigError(f"net_seed={self.net_seed!r} is invalid: choose an integer ≥ 0")
        if not (isinstance(self.lr, (int, float)) and 0 < self.lr <= 1):
            raise ConfigError(f"lr={self.lr!r} is invalid: choose a number in (0, 1]")


def forward(
    weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray, upto: int
) -> np.ndarray:
    """Inputs [n, d_in] -> ReLU output of hidden layer ``upto`` (1-based) [n, width] float32."""
    h = np.asarray(x, np.float32)
    for w, b in zip(weights[:upto], biases[:upto], strict=True):
        h = np.maximum(h @ w.T + b, 0.0)
    return h.astype(np.float32)


def train_classifier(
    spec: NetSpec, x: np.ndarray, y: np.ndarray, n_classes: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Train the MLP with Adam on (x [n, d_in] float32, y [n] int64); weights and biases per layer."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: deterministic, and polite to a shared server
    try:
        gen = torch.Generator().manual_seed(spec.net_seed)
        torch.manual_seed(spec.net_seed)
        sizes = [x.shape[1], *[spec.width] * spec.hidden_layers, n_classes]
        layers: list[torch.nn.Module] = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            layers.append(torch.nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        net = torch.nn.Sequential(*layers)
        optimiser = torch.optim.Adam(net.parameters(), lr=spec.lr)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        for _ in range(spec.epochs):
            order = torch.randperm(len(xt), generator=gen)
            for s in range(0, len(xt), _BATCH):
                batch = order[s : s + _BATCH]
                loss = torch.nn.functional.cross_entropy(net(xt[batch]), yt[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        linears = [m for m in net if isinstance(m, torch.nn.Linear)]
        return (
            [m.weight.detach().numpy().copy() for m in linears],
            [m.bias.detach().numpy().copy() for m in linears],
        )
    finally:
        torch.set_num_threads(threads)


def _cached_classifier(
    spec: NetSpec, key: Mapping[str, object], x: np.ndarray, y: np.ndarray, cache_dir: Path
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Train once per set-up; later calls read ``cache_dir/networks/<digest>.npz``."""
    text = json.dumps({**asdict(spec), **key, "version": _VERSION}, sort_keys=True)
    path = cache_dir / "networks" / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.npz"
    n = spec.hidden_layers + 1
    try:
        with np.load(path) as saved:
            return [saved[f"w{i}"] for i in range(n)], [saved[f"b{i}"] for i in range(n)]
    except (OSError, KeyError, ValueError):
        pass  # not cached yet, or unreadable: train again
    weights, biases = train_classifier(spec, x, y, int(y.max()) + 1)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {f"w{i}": w for i, w in enumerate(weights)}
        arrays |= {f"b{i}": b for i, b in enumerate(biases)}
        np.savez(buffer, **arrays)
        write_atomically(path, buffer.getvalue())
    except OSError:
        pass  # a read-only cache only costs retraining next time
    return weights, biases


@dataclass(frozen=True)
class _Base:
    """The labelled images a network is trained on: [n, h·w] float32 in [0, 1] per split."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    shape: tuple[int, int]
    title: str


def _base(request: SourceRequest, cache_dir: str | None) -> _Base:
    """``digits`` (the digits source's split), or ``mnist[:FOLDER]`` (its official split, or
    one split here when the folder holds a single set)."""
    name, _, folder = (request.path or "digits").partition(":")
    if name == "digits" and not folder:
        pixels, y = _digits_arrays()
        images, shape, title = (pixels / 16.0).astype(np.float32), (8, 8), "digits"
        x_test, y_test = None, None
    elif name == "mnist":
        raw = raw_from_idx(mnist_folder("mnist", folder or None, cache_dir=cache_dir), "MNIST")
        assert raw.image_shape is not None and raw.y is not None
        images, y, shape, title = (
            (raw.x / 255.0).astype(np.float32),
            raw.y,
            raw.image_shape,
            "MNIST",
        )
        x_test = None if raw.x_test is None else (raw.x_test / 255.0).astype(np.float32)
        y_test = raw.y_test
    else:
        raise DataError(f"net:{request.path} is not available: choose {' or '.join(NET_BASES)}")
    if x_test is None or y_test is None:
        train, test = split_indices(len(images), request.test_fraction, request.seed, y)
        images, x_test, y, y_test = images[train], images[test], y[train], y[test]
    return _Base(images, y, x_test, y_test, shape, title)


def raw_net(request: SourceRequest) -> RawData:
    """``net[:digits]`` / ``net:mnist[:FOLDER]``: hidden activations, inputs kept for display."""
    options = {k: v for k, v in request.options.items() if k != "cache_dir"}
    spec = NetSpec(**options)
    cache = request.options.get("cache_dir")
    base = _base(request, cache)
    digest = hashlib.sha256(base.x_train.tobytes() + base.y_train.tobytes()).hexdigest()
    key = {"base": base.title, "train_data": digest}
    cache_dir = Path(cache).expanduser() if cache else default_cache_dir()
    weights, biases = _cached_classifier(spec, key, base.x_train, base.y_train, cache_dir)
    full = Readout(tuple(weights), tuple(biases))
    accuracy = float(np.mean(full.logits(base.x_test).argmax(1) == base.y_test))
    x_train, y_train, x_test, y_test = base.x_train, base.y_train, base.x_test, base.y_test
    n = len(x_train) + len(x_test)
    if request.max_samples is not None and n > request.max_samples:
        # shrink each side in proportion, keeping the network's own split (no test leak)
        keep = min(max(round(request.max_samples * len(x_train) / n), 1), len(x_train) - 1)
        train = subsample_indices(len(x_train), keep, request.seed)
        test = subsample_indices(len(x_test), request.max_samples - keep, request.seed)
        x_train, y_train = x_train[train], y_train[train]
        x_test, y_test = x_test[test], y_test[test]
    what = (
        f"activations of hidden layer {spec.layer} (ReLU, {spec.width} units) of an MLP "
        f"{'×'.join([str(spec.width)] * spec.hidden_layers)} trained on {base.title}; "
        f"classifier test accuracy {accuracy:.1%}"
    )
    return RawData(
        x=forward(weights, biases, x_train, spec.layer),
        y=y_train,
        x_test=forward(weights, biases, x_test, spec.layer),
        y_test=y_test,
        inputs=x_train,
        inputs_test=x_test,
        input_shape=base.shape,
        readout=Readout(tuple(weights[spec.layer :]), tuple(biases[spec.layer :])),
        description=what,
    )
