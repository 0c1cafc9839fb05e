"""The health tests reuse the storage tests' real S3 server and local IAM token endpoint."""

from tests.storage.conftest import iam_endpoint, s3_endpoint

__all__ = ["iam_endpoint", "s3_endpoint"]
