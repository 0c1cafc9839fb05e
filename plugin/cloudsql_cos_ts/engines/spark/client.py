"""The pyspark Spark Connect client, loaded only when a datasource uses the Spark engine.

pyspark is an optional dependency (``pip install cloudsql-cos-ts[spark]``): its wheel is ~490 MB
(mostly server jars) and importing it takes seconds, so the plugin must neither start slower nor
bundle it for DuckDB users. It is therefore imported by name at run time, which also keeps
PyInstaller from following it into the backend bundle; the Protocols below name the few calls the
engine makes, so the rest of the engine is type-checked without pyspark.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.secret import Secret

PYSPARK_REQUIREMENT = "pyspark[connect]==4.3.0"


class DataFrame(Protocol):
    def limit(self, num: int) -> DataFrame: ...
    def toArrow(self) -> Any: ...  # noqa: N802 (pyspark's name)
    def createOrReplaceTempView(self, name: str) -> None: ...  # noqa: N802
    def selectExpr(self, *expressions: str) -> DataFrame: ...  # noqa: N802
    def where(self, condition: str) -> DataFrame: ...

    @property
    def schema(self) -> Any: ...


class Reader(Protocol):
    def format(self, source: str) -> Reader: ...
    def schema(self, schema: str) -> Reader: ...
    def option(self, key: str, value: str | bool) -> Reader: ...
    def load(self, path: str | Sequence[str]) -> DataFrame: ...


class Catalog(Protocol):
    def dropTempView(self, name: str) -> bool: ...  # noqa: N802


class Session(Protocol):
    """The part of ``pyspark.sql.connect.session.SparkSession`` the engine uses."""

    version: str
    client: Any

    @property
    def read(self) -> Reader: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def conf(self) -> Any: ...
    @property
    def udf(self) -> Any: ...
    def sql(self, query: str) -> DataFrame: ...
    def createDataFrame(self, data: Any) -> DataFrame: ...  # noqa: N802
    def addTag(self, tag: str) -> None: ...  # noqa: N802
    def removeTag(self, tag: str) -> None: ...  # noqa: N802
    def interruptTag(self, tag: str) -> list[str]: ...  # noqa: N802
    def stop(self) -> None: ...


@dataclass(frozen=True)
class Pyspark:
    """The loaded client: how to open a session and the exception classes errors are mapped from."""

    builder: Any
    retry_policy: Any  # pyspark's DefaultPolicy class
    analysis_error: type[Exception]  # includes ParseException
    user_errors: tuple[type[Exception], ...]  # runtime errors caused by the query or its data
    connect_error: type[Exception]  # any Spark Connect RPC failure

    def open(self, url: str, token: Secret) -> Session:
        """A new Spark Connect session (its own temporary views) on ``url`` with ``token``."""
        session: Session = self.builder.remote(connect_url(url, token)).create()
        # pyspark retries an unreachable server for ten minutes by default; a dashboard panel should
        # hear within seconds that Spark is down (about 6 s of retries here).
        session.client.set_retry_policies([self.retry_policy(max_retries=5, initial_backoff=200, max_backoff=2000)])
        return session


def connect_url(url: str, token: Secret) -> str:
    """``sc://host:port[/;params]`` with ``;token=…`` added (which also makes the client use TLS)."""
    if not token:
        return url
    base = url if "/;" in url else url.rstrip("/") + "/"
    return f"{base};token={quote(token.reveal(), safe='')}"


def load_pyspark() -> Pyspark:
    """Import the Spark Connect client, or explain with a 400 how to install it."""
    try:
        session_module = importlib.import_module("pyspark.sql.connect.session")
        errors = importlib.import_module("pyspark.errors")
        connect_errors = importlib.import_module("pyspark.errors.exceptions.connect")
        retries = importlib.import_module("pyspark.sql.connect.client.retries")
    except ImportError as exc:
        raise BadRequest(
            "the Spark engine needs the Spark Connect client, which is not installed with this plugin build "
            f"({exc.name or 'pyspark'} is missing): install the plugin with its [spark] extra "
            f"({PYSPARK_REQUIREMENT}) or choose the duckdb engine"
        ) from None
    # pyspark logs every failed query (with its SQL and the server's stack trace) on its own loggers;
    # the plugin reports errors itself, without data, so those loggers stay quiet.
    for name in ("pyspark", "SQLQueryContextLogger", "py4j"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return Pyspark(
        builder=session_module.SparkSession.builder,
        retry_policy=retries.DefaultPolicy,
        analysis_error=errors.AnalysisException,
        user_errors=(
            errors.ArithmeticException,
            errors.NumberFormatException,
            errors.DateTimeException,
            errors.IllegalArgumentException,
            errors.ArrayIndexOutOfBoundsException,
        ),
        connect_error=connect_errors.SparkConnectGrpcException,
    )
