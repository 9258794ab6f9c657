"""Analysis of a trained SAE: held-out metrics (``metrics``), per-latent tables (``latents``),
and ground-truth recovery on synthetic data (``recovery``)."""
