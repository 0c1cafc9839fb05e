"""The answers to one QueryData request, before and as the protobuf ``QueryDataResponse``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from cloudsql_cos_ts.errors import PluginError
from cloudsql_cos_ts.proto import backend_pb2 as pb


@dataclass
class QueryAnswer:
    frames: list[bytes] = field(default_factory=list)
    status: int = 200
    error: str = ""
    source: str = ""
    # A cache hit: until when (epoch seconds) the same request may get these very answers again.
    reusable_until: float | None = None

    @staticmethod
    def failure(error: PluginError) -> QueryAnswer:
        return QueryAnswer(status=error.status, error=error.message, source=error.source)


@dataclass
class RequestAnswers:
    """Every refId's answer, and the engine that gave them ("none" when no datasource could be opened)."""

    engine: str
    by_ref: dict[str, QueryAnswer]

    @cached_property
    def response(self) -> pb.QueryDataResponse:
        """Built once: a replayed request (:mod:`cloudsql_cos_ts.query.replay`) is sent the same message,
        which grpcio only reads, from any number of calls at once."""
        response = pb.QueryDataResponse()
        for ref, answer in self.by_ref.items():
            item = response.responses[ref]
            item.status = answer.status
            item.frames.extend(answer.frames)
            item.format = pb.ARROW
            if answer.error:
                item.error = answer.error
                item.errorSource = answer.source
        return response
