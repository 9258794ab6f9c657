"""Analysis of a trained SAE: held-out metrics (``metrics``, with the linear probes in ``probe``),
per-latent tables and statistics (``latents``), per-sample tables (``samples``), and ground-truth
recovery on synthetic data (``recovery``)."""
