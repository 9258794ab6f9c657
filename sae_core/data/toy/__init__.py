"""The toy model of superposition (Elhage et al. 2022) and the ``toy`` data source built on it.

It lives in the data layer because its trained hidden activations ``h = W x`` are a data source
(the ``toy`` entry of :mod:`sae_core.data.registry`), and the data layer imports nothing above it.
``config`` (the checked set-up) and ``source`` import no torch; ``model`` (the model and its
trainer) does, and is imported only when a toy model trains.
"""
