"""The UTC process zone of the engine tests (their Spark Connect server is tests/spark_server.py's)."""

from tests.engines.conftest import utc  # noqa: F401
