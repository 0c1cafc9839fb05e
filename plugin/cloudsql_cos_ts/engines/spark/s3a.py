"""COS as Spark reads it: Hadoop's S3A connector, configured in each of a datasource's Spark sessions.

A Spark Connect session's SQL settings are copied into the Hadoop configuration of everything it
reads, so the datasource's endpoint and HMAC keys go there as S3A's per-bucket settings
(``fs.s3a.bucket.<bucket>.*``): they live in that datasource's sessions only, never in the server's
configuration, another datasource's session, a read option or a query plan (the keys' names match
Spark's default ``spark.redaction.regex``, so even ``SET`` shows them redacted).

That alone would not isolate datasources: Hadoop caches one ``FileSystem`` per URI scheme and
bucket for the whole server, created with the settings of the first session that read the bucket,
so a second datasource on the same bucket would read with the first one's keys (and a rotated key
would never be used, nor a changed setting). Each bucket's settings therefore get a scheme of
their own, ``s3a-<digest of the settings and keys>`` mapped to S3A: sessions with the same settings
share one cached connector, others cannot reach it without knowing the keys. The digest is a slow
key derivation, so a scheme seen in a path does not make guessing a weak secret cheap; messages show
it as ``s3a://`` anyway (``errors.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cloudsql_cos_ts.errors import BadRequest
from cloudsql_cos_ts.settings.datasource import Credentials
from cloudsql_cos_ts.settings.locations import CosLocation

S3A_FILESYSTEM = "org.apache.hadoop.fs.s3a.S3AFileSystem"
# Only the datasource's keys: never the cluster's environment variables or instance credentials.
KEYS_ONLY = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
# IBM COS ignores the signing region; S3A needs one for an endpoint that is not AWS's (as our own client).
SIGNING_REGION = "us-east-1"
# As our own COS client: a dashboard should hear within seconds that COS is unreachable, not after
# S3A's default minutes of retries (7 retries of 5 SDK attempts, 30 s to connect).
RETRIES = {"attempts.maximum": "3", "retry.limit": "3", "connection.establish.timeout": "5s",
           "connection.timeout": "30s"}
_DERIVATION_ROUNDS = 20_000


@dataclass(frozen=True)
class S3aAccess:
    """The session settings that let Spark read a datasource's COS locations, and their URIs."""

    conf: Mapping[str, str]
    schemes: Mapping[tuple[str, str], str]  # (endpoint, bucket) -> the scheme of this datasource's settings there

    def uri(self, location: CosLocation) -> str:
        """``<scheme>://bucket/prefix`` without a trailing slash."""
        scheme = self.schemes[(location.endpoint, location.bucket)]
        return f"{scheme}://{location.bucket}/{location.prefix}".rstrip("/")


def s3a_access(credentials: Credentials, locations: Iterable[CosLocation]) -> S3aAccess:
    """Per-bucket S3A settings for ``locations`` with the datasource's HMAC keys.

    S3A signs with access keys only, so an ``iam`` datasource is a 400 that says what to configure.
    """
    if credentials.auth != "hmac":
        raise BadRequest(
            "the Spark engine reads COS through Hadoop's S3A connector, which needs HMAC keys: choose HMAC "
            "authentication and enter the COS service credential's HMAC access key id and secret"
        )
    access_id, secret = credentials.hmac_access_key_id.reveal(), credentials.hmac_secret_access_key.reveal()
    conf: dict[str, str] = {}
    schemes: dict[tuple[str, str], str] = {}
    for location in locations:
        prefix = f"fs.s3a.bucket.{location.bucket}"
        if conf.get(f"{prefix}.endpoint", location.endpoint) != location.endpoint:
            raise BadRequest(
                f"bucket {location.bucket} is configured on two endpoints; Spark's S3A settings are per bucket "
                "name, so one datasource can read a bucket name on one endpoint only"
            )
        bucket = {
            "endpoint": location.endpoint,
            "endpoint.region": SIGNING_REGION,
            "path.style.access": "true",
            "aws.credentials.provider": KEYS_ONLY,
            "access.key": access_id,
            **RETRIES,
        }
        # Every setting is in the digest: a connector cached with other settings is never reused.
        scheme = _scheme(secret, repr(sorted(bucket.items())))
        schemes[(location.endpoint, location.bucket)] = scheme
        conf[f"fs.{scheme}.impl"] = S3A_FILESYSTEM
        conf |= {f"{prefix}.{name}": value for name, value in (bucket | {"secret.key": secret}).items()}
    return S3aAccess(conf, schemes)


def _scheme(secret: str, settings: str) -> str:
    salt = f"cloudsql-cos-ts\0{settings}".encode()
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, _DERIVATION_ROUNDS, dklen=8)
    return f"s3a-{digest.hex()}"
