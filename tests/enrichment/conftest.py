"""The engine tests' real Spark Connect server (started once per test session) and UTC process zone."""

from tests.engines.conftest import spark_url, utc  # noqa: F401
