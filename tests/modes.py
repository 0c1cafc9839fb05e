"""Short (CI) and long fuzzing modes as hypothesis settings profiles.

``RELIABILITY_MODE=long .venv/bin/pytest tests/reliability`` runs every fuzz target with 100,000
examples; the default short mode runs 5,000 each, which keeps the whole folder within a few minutes
on two cores. The profiles are registered here, not loaded globally, so other property tests keep
their own example counts.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SHORT_EXAMPLES = 5_000
LONG_EXAMPLES = 100_000

settings.register_profile(
    "reliability-short",
    max_examples=SHORT_EXAMPLES,
    deadline=None,
    derandomize=True,  # CI runs the same examples every time; the long mode explores instead
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)
settings.register_profile(
    "reliability-long",
    max_examples=LONG_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)

MODE = "long" if os.environ.get("RELIABILITY_MODE", "short").strip().lower() == "long" else "short"
FUZZ = settings.get_profile(f"reliability-{MODE}")
"""Decorator for every fuzz target of this folder."""

TIMEOUT_S = {"short": None, "long": 4 * 3600}[MODE]
"""pytest-timeout's limit for the tests of this folder: the project's 300 s stays in the short mode; a
long-mode target runs for many minutes (100,000 examples of QueryData took 8 on two shared cores)."""

HANDLER_EXAMPLES = {"short": 400, "long": 10_000}[MODE]
FUZZ_SLOW_HANDLER = settings(FUZZ, max_examples=HANDLER_EXAMPLES)
"""For handlers that open an engine or walk health stages per example (tens of milliseconds each)."""
