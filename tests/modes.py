"""Short (CI) and long modes: how many examples, kills and rounds the randomised tests run, in one place.

The property tests (hypothesis) and the SIGKILL loops prove the same things in both modes; only the
count differs. The default short mode is what CI runs: derandomized examples, so every run checks
the same cases (a regression guard whose cost the whole suite pays). The long mode explores:
``RELIABILITY_MODE=long .venv/bin/pytest tests/reliability tests/cache tests/unit/test_lexer_properties.py``
runs every fuzz target with 100,000 random examples and many more kills. The hypothesis profiles are
registered here, not loaded globally, so a property test elsewhere keeps its own settings unless it
uses these.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

MODE = "long" if os.environ.get("RELIABILITY_MODE", "short").strip().lower() == "long" else "short"

_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "reliability-short",
    max_examples=1_000,
    deadline=None,
    derandomize=True,  # CI runs the same examples every time; the long mode explores instead
    suppress_health_check=_SUPPRESSED,
    database=None,
)
settings.register_profile(
    "reliability-long", max_examples=100_000, deadline=None, suppress_health_check=_SUPPRESSED, database=None
)

FUZZ = settings.get_profile(f"reliability-{MODE}")
"""Decorator for every fuzz target of tests/reliability."""

HANDLER_EXAMPLES = {"short": 100, "long": 10_000}[MODE]
FUZZ_SLOW_HANDLER = settings(FUZZ, max_examples=HANDLER_EXAMPLES)
"""For handlers that open an engine or walk health stages per example (tens of milliseconds each)."""

PROPERTIES = settings(FUZZ, max_examples={"short": 500, "long": 20_000}[MODE])
"""For in-process properties of pure functions (the lexer and macro expander: about a millisecond each)."""

KILLS = {"short": 8, "long": 50}[MODE]
"""SIGKILL rounds of the crash-safety tests: each kills a plugin at a random point of its writes (50 rounds
stay within the project's 300 s limit that tests/cache keeps in the long mode)."""

TIMEOUT_S = {"short": None, "long": 4 * 3600}[MODE]
"""pytest-timeout's limit for tests/reliability: the project's 300 s stays in the short mode; a
long-mode target runs for many minutes (100,000 examples of QueryData took 8 on two shared cores)."""
