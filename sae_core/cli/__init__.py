"""The ``sae-explorer`` command line: ``parser`` (arguments and checks) and ``commands``."""
