"""The pyspark Spark Connect client, loaded only when a datasource uses the Spark engine.

pyspark is an optional dependency (``pip install cloudsql-cos-ts[spark]``): its wheel is ~490 MB
(mostly server jars) and importing it takes seconds, so the plugin must neither start slower nor
bundle it for DuckDB users. It is therefore imported by name at run time, which also keeps
PyInstaller from following it into the backend bundle; the Protocols below name the few calls the
engine makes, so the rest of the engine is type-checked without pyspark.

The packaged plugin gets the client from the optional Spark client bundle, a folder of packages per
platform (``<folder>/linux_amd64``, ``<folder>/linux_arm64``) that the administrator unpacks outside
the plugin folder and names with ``spark_client`` in grafana.ini; it is added to the import path
only when a datasource uses Spark.
"""

from __future__ import annotations

import importlib
import logging
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from cloudsql_cos_ts.engines.spark.retries import refusal_aware_policy
from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.secret import Secret

PYSPARK_REQUIREMENT = "pyspark[connect]==4.3.0"
# How the release names the optional bundle's zip and each platform's folder in it (package_release.sh).
CLIENT_BUNDLE_ZIP = "ibm-cloudsqlcos-datasource-spark-client-<version>.<platform>.zip"
_ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class DataFrame(Protocol):
    def limit(self, num: int) -> DataFrame: ...
    def toArrow(self) -> Any: ...  # noqa: N802 (pyspark's name)
    def createOrReplaceTempView(self, name: str) -> None: ...  # noqa: N802
    def selectExpr(self, *expressions: str) -> DataFrame: ...  # noqa: N802
    def where(self, condition: str) -> DataFrame: ...
    def unionByName(self, other: DataFrame) -> DataFrame: ...  # noqa: N802
    def localCheckpoint(self, eager: bool = True) -> DataFrame: ...  # noqa: N802 (rows stored in the session)
    def _explain_string(self, extended: bool | None = None) -> str: ...  # what DataFrame.explain prints

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
        session.client.set_retry_policies([refusal_aware_policy(self.retry_policy)])
        return session


def connect_url(url: str, token: Secret) -> str:
    """``sc://host:port[/;params]`` with ``;token=…`` added (which also makes the client use TLS)."""
    if not token:
        return url
    base = url if "/;" in url else url.rstrip("/") + "/"
    return f"{base};token={quote(token.reveal(), safe='')}"


def platform_name() -> str:
    """This machine's platform as Grafana names executables (``linux_amd64``): the bundle's folder."""
    machine = platform.machine().lower()
    return f"{sys.platform}_{_ARCHITECTURES.get(machine, machine)}"


def use_client_bundle(folder: Path) -> None:
    """Put the unpacked Spark client bundle's packages for this platform on the import path."""
    packages = folder / platform_name()
    if not packages.is_dir():
        raise BadRequest(
            f"spark_client is {str(folder)!r}, which has no {platform_name()} folder: unpack the Spark client "
            f"bundle for this platform ({CLIENT_BUNDLE_ZIP}) there and restart Grafana"
        )
    if str(packages) in sys.path:
        return
    sys.path.append(str(packages))
    # google is a namespace package the frozen bundle already imported (protobuf); its path is fixed
    # at that import, so the client's google.rpc and google.api are added to it by hand.
    google = sys.modules.get("google")
    if google is not None and (packages / "google").is_dir() and hasattr(google, "__path__"):
        google.__path__.append(str(packages / "google"))


def load_pyspark(client_bundle: Path | None = None) -> Pyspark:
    """Import the Spark Connect client (from ``client_bundle`` when given), or explain with a 400 how to
    install it."""
    if client_bundle is not None:
        use_client_bundle(client_bundle)
    try:
        session_module = importlib.import_module("pyspark.sql.connect.session")
        errors = importlib.import_module("pyspark.errors")
        connect_errors = importlib.import_module("pyspark.errors.exceptions.connect")
        retries = importlib.import_module("pyspark.sql.connect.client.retries")
    except ImportError as exc:
        raise BadRequest(
            "the Spark engine needs the Spark Connect client, which this installation does not have "
            f"({exc.name or 'pyspark'} is missing): unpack the optional Spark client bundle ({CLIENT_BUNDLE_ZIP}) "
            "outside the plugin folder, set spark_client = <that folder> in the [plugin.ibm-cloudsqlcos-datasource] "
            f"section of grafana.ini and restart Grafana (from source: install the [spark] extra, "
            f"{PYSPARK_REQUIREMENT}); or choose the duckdb engine"
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
