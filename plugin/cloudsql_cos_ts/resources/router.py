"""Route ``CallResource`` requests to handlers; every answer is JSON with a proper status code."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloudsql_cos_ts.errors import BadRequest, PluginError
from cloudsql_cos_ts.proto import backend_pb2 as pb


@dataclass
class ResourceRequest:
    method: str
    path: str
    body: bytes
    context: pb.PluginContext

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; 400 otherwise."""
        try:
            value = json.loads(self.body) if self.body.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise BadRequest(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise BadRequest("the request body must be a JSON object")
        return value


@dataclass
class ResourceResponse:
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return json.dumps(self.body, default=str).encode()


Handler = Callable[[ResourceRequest], ResourceResponse]


class Router:
    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], Handler] = {}

    def add(self, method: str, path: str, handler: Handler) -> None:
        self._routes[(method.upper(), path.strip("/"))] = handler

    def routes(self) -> list[str]:
        return sorted(f"{method} {path}" for method, path in self._routes)

    def dispatch(self, request: ResourceRequest) -> ResourceResponse:
        key = (request.method.upper(), request.path.strip("/").split("?", 1)[0])
        handler = self._routes.get(key)
        if handler is None:
            allowed = [m for (m, p) in self._routes if p == key[1]]
            status = 405 if allowed else 404
            return ResourceResponse(status, {"error": f"no resource {key[0]} {key[1]}", "routes": self.routes()})
        try:
            return handler(request)
        except PluginError as exc:
            return ResourceResponse(exc.status, {"error": exc.message})
