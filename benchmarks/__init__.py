"""qrplex benchmarks: qrplex against the raw libraries, Tencent's SDK and its own limits.

Run ``uv run python -m benchmarks`` (about 5 minutes) or ``uv run python -m benchmarks
--quick`` (a smoke run of well under a minute). Each section measures its cases in interleaved
rounds, so that a noisy machine slows both sides of a comparison alike, and reports medians
and per-round ratios against a goal. The results go to ``benchmarks/results/``; see
``docs/benchmarks.md`` for what every row means.

This package is not part of the test suite (pytest only collects ``tests/`` and
``plugins/*/tests/``).
"""
