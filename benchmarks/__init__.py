"""Speed benchmarks for SAE Explorer: ``python -m benchmarks.run`` (``make bench``).

Each module measures one target of the "Speed" issue and returns table rows; ``run.py`` prints
them as one table and, with ``--markdown``, writes docs/benchmarks.md. The machine is shared and
noisy, so every comparison is a ratio of medians measured in the same run, interleaved.
"""
