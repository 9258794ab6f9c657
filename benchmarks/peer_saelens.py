"""SAELens's side of the peer benchmark (benchmarks/peer.py); runs in the sae-lens venv.

Two commands, each printing one JSON object on stdout:

    .venv-saelens/bin/python benchmarks/peer_saelens.py generate DIR
        SAELens's synthetic data (``sae_lens.synthetic.SyntheticModel``: 64 Zipfian features in
        32 dimensions, ~4 active per sample) with a fixed seed: DIR/x_train.npy [1M, 32],
        DIR/x_test.npy [N_TEST, 32], DIR/features.npy [64, 32] (the true feature directions).
    .venv-saelens/bin/python benchmarks/peer_saelens.py train DIR LR
        SAELens's ``SAETrainer`` trains a TopK SAE (d_sae 128, k 4, batch 1024, one thread) for
        one pass over DIR/x_train.npy, fed shuffled batches of the in-memory tensor; prints the
        seconds of ``fit()`` and writes DIR/saelens_weights.npz (the inference weights, decoder
        norms folded in as SAELens saves them) and DIR/saelens_x_hat.npy (its reconstruction of
        x_test, from SAELens's own forward pass).

Only sae_lens, torch and numpy are imported here: this file runs outside the project's venv.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # SAETrainer's progress bar: spare the peer its cost

import numpy as np
import torch

N_FEATURES, D_IN, D_SAE, K, BATCH = 64, 32, 128, 4, 1024
N_TRAIN, N_TEST = 1_000_000, 50_000
SEED = 0
# SAELens's Zipfian firing with a flatter exponent and a higher floor than its defaults (1.0,
# 0.3, 0.01 give 1.7 active per sample): Σ p = 3.96 active per sample
ZIPF = {"exponent": 0.5, "max_prob": 0.3, "min_prob": 0.03}


def generate(out: Path) -> dict[str, object]:
    from sae_lens.synthetic import SyntheticModel, ZipfianFiringProbabilityConfig
    from sae_lens.synthetic.synthetic_model import SyntheticModelConfig

    cfg = SyntheticModelConfig(
        num_features=N_FEATURES,
        hidden_dim=D_IN,
        firing_probability=ZipfianFiringProbabilityConfig(**ZIPF),
        seed=SEED,
    )
    model = SyntheticModel(cfg)
    torch.manual_seed(SEED)  # sampling draws from torch's global generator
    x, acts = model.sample_with_features(N_TRAIN + N_TEST)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "x_train.npy", x[:N_TRAIN].numpy().astype(np.float32))
    np.save(out / "x_test.npy", x[N_TRAIN:].numpy().astype(np.float32))
    np.save(out / "features.npy", model.feature_dict.feature_vectors.detach().numpy())
    return {"n_train": N_TRAIN, "n_test": N_TEST, "active": float((acts > 0).sum(1).float().mean())}


def shuffled_batches(x: torch.Tensor, seed: int) -> Iterator[torch.Tensor]:
    """Batches of a fresh permutation per pass, the last one short, as the project's Trainer
    draws them: one pass of 1M samples is 977 steps on both sides."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        perm = torch.randperm(x.shape[0], generator=generator)
        for start in range(0, x.shape[0], BATCH):
            yield torch.index_select(x, 0, perm[start : start + BATCH])


def train(data: Path, lr: float) -> dict[str, object]:
    from sae_lens.config import LoggingConfig, SAETrainerConfig
    from sae_lens.saes.topk_sae import TopKTrainingSAE, TopKTrainingSAEConfig
    from sae_lens.training.sae_trainer import SAETrainer

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    x = torch.from_numpy(np.load(data / "x_train.npy"))
    sae = TopKTrainingSAE(TopKTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, k=K, device="cpu"))
    trainer_cfg = SAETrainerConfig(
        total_training_samples=x.shape[0],
        train_batch_size_samples=BATCH,
        lr=lr,
        lr_end=lr,
        device="cpu",
        logger=LoggingConfig(log_to_wandb=False),
    )
    trainer = SAETrainer(cfg=trainer_cfg, sae=sae, data_provider=shuffled_batches(x, SEED))
    wall, cpu = time.perf_counter(), time.process_time()
    trainer.fit()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    steps = trainer.n_training_steps

    state = {name: p.detach().clone() for name, p in sae.state_dict().items()}
    sae.process_state_dict_for_saving_inference(state)  # folds the decoder norms in
    weights = {name: state[name].numpy() for name in ("W_enc", "b_enc", "W_dec", "b_dec")}
    np.savez(data / "saelens_weights.npz", **weights)
    sae.eval()
    with torch.no_grad():
        x_hat = sae(torch.from_numpy(np.load(data / "x_test.npy")))
    np.save(data / "saelens_x_hat.npy", x_hat.numpy())
    return {
        "steps": steps,
        "wall_s": wall,
        "cpu_s": cpu,
        "threads": torch.get_num_threads(),
        "lr": lr,
        "dead": int(trainer.dead_neurons.sum()),
    }


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "generate":
        result = generate(Path(argv[1]))
    elif len(argv) >= 3 and argv[0] == "train":
        result = train(Path(argv[1]), float(argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
