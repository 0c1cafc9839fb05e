"""The answers to one QueryData request, before they are written as the ``QueryDataResponse`` (``server/wire.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cloudsql_cos_ts.engines.answer_memory import AnswerMemory
from cloudsql_cos_ts.errors import PluginError


@dataclass
class QueryAnswer:
    frames: list[bytes] = field(default_factory=list)
    status: int = 200
    error: str = ""
    source: str = ""
    # A cache hit: until when (epoch seconds) the same request may get these very answers again.
    reusable_until: float | None = None
    # The answer-memory account of the run that made the frames: held until they are sent.
    held: AnswerMemory | None = field(default=None, repr=False, compare=False)

    @staticmethod
    def failure(error: PluginError) -> QueryAnswer:
        return QueryAnswer(status=error.status, error=error.message, source=error.source)


@dataclass
class RequestAnswers:
    """Every refId's answer, and the engine that gave them ("none" when no datasource could be opened)."""

    engine: str
    by_ref: dict[str, QueryAnswer]

    def releaser(self) -> Callable[[], None]:
        """What gives every answer's memory account back once the answers are sent (or read).

        It holds the accounts only, not the answers: waiting for the end of a call, it keeps no frame alive.
        """
        accounts = [answer.held for answer in self.by_ref.values() if answer.held is not None]

        def release() -> None:
            for account in accounts:
                account.release()

        return release
