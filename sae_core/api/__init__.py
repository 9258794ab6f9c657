"""The public Python API's own parts: the scikit-learn estimator (:mod:`.estimator`) and the
notebook functions (:mod:`.functions`). Import them from the package top, ``sae_core``, which
loads them only when first used."""
