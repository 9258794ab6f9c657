"""SAE Explorer's core: sparse autoencoders, their data, training, analysis, runs and figures.

Layers (imports point down only; ``tests/test_layers.py`` checks it):

- ``methods``, ``config``, ``model``, ``penalties``, ``errors``: what an SAE is (top level).
- ``data/``: data sources (one registry), loading, preprocessing, files.
- ``training/``: the Trainer, its step engines, remedies, ``fit``/``train_sweep``.
- ``analysis/``: held-out metrics and per-latent analysis.
- ``runs/``: the run folder format, the store, the listing, SAELens interop.
- ``figures/``: plotly figure builders.
- ``app/``: the app's pure logic (controls, links, scenarios, snippets): no Streamlit.
- ``cli/``: the command line.
- ``ui/``: the Streamlit layer; the only part of the package that imports streamlit.
"""
