"""How long the Spark Connect client keeps trying a server that does not answer.

pyspark retries every ``UNAVAILABLE`` RPC, and gRPC reports both a refused connection and a server
that stopped answering as ``UNAVAILABLE``. A refused connection is a definite answer (nothing listens
at that address: a wrong port, a stopped server), and retrying it only made a panel or Save & test
wait for the whole back-off (about 6 s) before saying what it could have said at once. So the
plugin's policy is pyspark's own, except that it gives up on a refusal; a server that accepts the
connection and then stays silent is still retried until the query's limit.
"""

from __future__ import annotations

from typing import Any

MAX_RETRIES = 5
INITIAL_BACKOFF_MS = 200
MAX_BACKOFF_MS = 2000
# gRPC's status and text for a refused TCP connection (UNAVAILABLE, like any unreachable server).
_UNAVAILABLE = "UNAVAILABLE"
_REFUSED = "Connection refused"


def connection_refused(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is gRPC's failure to connect because the address refused.

    The status matters as much as the text: an error the server answered (status INTERNAL, say) may
    quote a refusal of its own, such as S3A's ``java.net.ConnectException: Connection refused`` when
    COS is unreachable from the cluster, and that is no reason to think the Spark server is away.
    """
    seen: BaseException | None = exc
    while seen is not None:
        code, details = getattr(seen, "code", None), getattr(seen, "details", None)
        if callable(code) and callable(details):
            status = code()
            return str(getattr(status, "name", status)) == _UNAVAILABLE and _REFUSED in str(details() or "")
        seen = seen.__cause__ or seen.__context__
    return False


def refusal_aware_policy(default_policy: type[Any]) -> Any:
    """pyspark's ``DefaultPolicy`` (class given: pyspark is imported at run time) with a bounded back-off
    and no retry of a refused connection.

    pyspark's own default retries an unreachable server for ten minutes; a dashboard panel should hear
    within seconds that Spark is down, and at once when the address refuses.
    """

    def can_retry(self: Any, exc: BaseException) -> bool:
        return not connection_refused(exc) and bool(default_policy.can_retry(self, exc))

    policy_class = type("RefusalAwarePolicy", (default_policy,), {"can_retry": can_retry})
    return policy_class(max_retries=MAX_RETRIES, initial_backoff=INITIAL_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS)
