"""User files: CSV/TSV, NPY/NPZ tables, and the checks every table passes."""
