"""The Compare page's parts: saved runs, side-by-side models, and sweeps."""
