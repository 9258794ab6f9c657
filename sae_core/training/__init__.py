"""Training: the Trainer (one step at a time), its step engines, dead-latent remedies, and
``fit`` (train, evaluate, sweep)."""
