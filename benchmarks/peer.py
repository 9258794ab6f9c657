"""Issue 15 target 5: our Trainer against SAELens's ``SAETrainer`` on SAELens's synthetic data.

SAELens lives in its own venv (``make test-saelens`` builds .venv-saelens), so its side runs as
a subprocess (benchmarks/peer_saelens.py): it generates the data with ``sae_lens.synthetic`` and
a fixed seed (64 Zipfian features in 32 dimensions, ~4 active per sample, 1M training and 50k
held-out samples), trains a TopK SAE (d_sae 128, k 4, batch 1024, one thread, one pass) with
``SAETrainer`` and saves its weights and held-out reconstruction. Our side trains the same
shape on the same array with our :class:`~sae_core.training.trainer.Trainer`. Both get the same
learning rate (3e-3: at SAELens's default 3e-4 one pass leaves its SAE at MCC 0.62) and are
scored the same way: held-out FVE and recovery of the true features (MCC, features with a latent
at cosine ≥ 0.9). Per-step time is the CPU time of the whole training loop (SAELens's ``fit()``,
our ``run()``) over its steps, the two sides run in alternation, and the ratio is the median of
the rounds' ratios; CPU time, because other jobs share this machine's cores.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import ROOT, Row, median, skipped, status_of, timed, warm_up
from sae_core.analysis.metrics import compute_fve
from sae_core.analysis.recovery import compute_recovery
from sae_core.config import SAEConfig, TrainConfig
from sae_core.training.trainer import Trainer

PEER_PYTHON = ROOT / ".venv-saelens" / "bin" / "python"
PEER_SCRIPT = ROOT / "benchmarks" / "peer_saelens.py"
NAME = "15.5 peer: TopK step vs SAELens SAETrainer"
TARGET = "≥ 3× less time per step than SAELens, FVE and MCC ≥ its"
MIN_SPEEDUP = 3.0
D_SAE, K, BATCH, LR = 128, 4, 1024, 3e-3
COSINE = 0.9  # a feature counts as recovered when some latent's decoder row is this close


@dataclass(frozen=True, kw_only=True)
class Side:
    cpu_per_step: list[float]  # seconds, one per round
    wall_per_step: list[float]
    fve: float
    mcc: float
    recovered: int


def peer(*args: str, timeout: float = 900) -> dict[str, Any]:
    """Run peer_saelens.py in the sae-lens venv; its JSON, or RuntimeError with its last line."""
    done = subprocess.run(
        [str(PEER_PYTHON), str(PEER_SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"peer_saelens.py {args[0]} failed ({done.returncode}): {tail[0]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def scores(
    features: np.ndarray, x_test: np.ndarray, W_dec: np.ndarray, x_hat: np.ndarray
) -> dict[str, Any]:
    """Held-out FVE of ``x_hat`` [n, d_in] against ``x_test``, and how well ``W_dec`` [d_sae, d_in]
    recovers the true ``features`` [F, d_in]: MCC and the features some latent matches at
    cosine ≥ COSINE."""
    recovery = compute_recovery(features, W_dec)
    return {
        "fve": compute_fve(x_test, x_hat),
        "mcc": recovery.mcc,
        "recovered": recovery.recovered(COSINE),
    }


def train_ours(x_train: np.ndarray) -> tuple[float, float, Trainer]:
    """(CPU s/step, wall s/step, trainer) of one pass over ``x_train``."""
    cfg = SAEConfig(d_in=x_train.shape[1], d_sae=D_SAE, method="topk", k=K)
    trainer = Trainer(cfg, TrainConfig(epochs=1, batch_size=BATCH, lr=LR, threads=1), x_train)
    sample, _ = timed(trainer.run)
    return sample.cpu / trainer.step_count, sample.wall / trainer.step_count, trainer


def compare(data: Path, rounds: int) -> tuple[Side, Side, dict[str, Any]]:
    info = peer("generate", str(data))
    x_train = np.load(data / "x_train.npy")
    x_test = np.load(data / "x_test.npy")
    features = np.load(data / "features.npy")
    info["n_features"] = features.shape[0]
    ours: dict[str, list[float]] = {"cpu": [], "wall": []}
    theirs: dict[str, list[float]] = {"cpu": [], "wall": []}
    for _ in range(rounds):
        result = peer("train", str(data), repr(LR))
        theirs["cpu"].append(result["cpu_s"] / result["steps"])
        theirs["wall"].append(result["wall_s"] / result["steps"])
        info["peer_steps"] = result["steps"]
        cpu, wall, trainer = train_ours(x_train)
        ours["cpu"].append(cpu)
        ours["wall"].append(wall)
        info["our_steps"] = trainer.step_count
    model = trainer.model()
    with torch.no_grad():
        our_x_hat = model(torch.from_numpy(x_test)).numpy()
    our_scores = scores(features, x_test, model.W_dec.numpy(force=True), our_x_hat)
    weights = np.load(data / "saelens_weights.npz")
    peer_scores = scores(features, x_test, weights["W_dec"], np.load(data / "saelens_x_hat.npy"))
    return (
        Side(cpu_per_step=ours["cpu"], wall_per_step=ours["wall"], **our_scores),
        Side(cpu_per_step=theirs["cpu"], wall_per_step=theirs["wall"], **peer_scores),
        info,
    )


def run(quick: bool = False) -> list[Row]:
    if not PEER_PYTHON.exists():
        return [skipped(NAME, TARGET, "skipped: run make test-saelens first")]
    warm_up()
    with tempfile.TemporaryDirectory(prefix="sae-peer-") as tmp:
        ours, theirs, info = compare(Path(tmp), rounds=1 if quick else 3)
    return [make_row(ours, theirs, info)]


def make_row(ours: Side, theirs: Side, info: dict[str, Any]) -> Row:
    """The table row: the median per-round speed-up, both sides' quality, PASS when ours is
    ≥ MIN_SPEEDUP× faster at FVE and MCC ≥ SAELens's (margin: the quality ratio otherwise)."""
    speedup = median([t / o for t, o in zip(theirs.cpu_per_step, ours.cpu_per_step, strict=True)])
    ms = 1e3
    quality_ok = ours.fve >= theirs.fve and ours.mcc >= theirs.mcc
    details = (
        f"SAELens synthetic data (sae_lens.synthetic.SyntheticModel, seed 0): "
        f"{info['n_features']} features in 32 dims, Zipfian firing, {info['active']:.2f} active "
        f"per sample; {info['n_train']} train / {info['n_test']} held-out samples",
        f"TopK d_sae {D_SAE}, k {K}, batch {BATCH}, lr {LR:g}, one pass ({info['our_steps']} / "
        f"{info['peer_steps']} steps), one thread; median of {len(ours.cpu_per_step)} alternating"
        " rounds",
        f"ours: {median(ours.cpu_per_step) * ms:.2f} ms CPU/step "
        f"({median(ours.wall_per_step) * ms:.2f} ms wall), held-out FVE {ours.fve:.4f}, "
        f"MCC {ours.mcc:.4f}, {ours.recovered}/{info['n_features']} features at cos ≥ {COSINE}",
        f"SAELens SAETrainer: {median(theirs.cpu_per_step) * ms:.2f} ms CPU/step "
        f"({median(theirs.wall_per_step) * ms:.2f} ms wall), held-out FVE {theirs.fve:.4f}, "
        f"MCC {theirs.mcc:.4f}, {theirs.recovered}/{info['n_features']} features at cos ≥ {COSINE}",
    )
    return Row(
        name=NAME,
        measured=(
            f"{speedup:.1f}× less time ({median(ours.cpu_per_step) * ms:.2f} vs "
            f"{median(theirs.cpu_per_step) * ms:.2f} ms); FVE {ours.fve:.3f} vs "
            f"{theirs.fve:.3f}, MCC {ours.mcc:.3f} vs {theirs.mcc:.3f}"
        ),
        target=TARGET,
        margin=speedup / MIN_SPEEDUP
        if quality_ok
        else min(ours.fve / theirs.fve, ours.mcc / theirs.mcc),
        status=status_of(quality_ok and speedup >= MIN_SPEEDUP),
        details=details,
    )
