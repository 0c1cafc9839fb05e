"""The result cache: answers repeated queries from disk instead of running them again.

A dashboard refresh sends the same queries again and again, and each cold run over COS costs
seconds. :class:`ResultCache` keys a query's encoded frames on everything that decides them
(:mod:`.key`), aligns live time ranges so refreshes share keys (:mod:`.align`), keeps entries as
checksummed Arrow bytes in a bounded diskcache store (:mod:`.entry`, :mod:`.store`) and runs
identical concurrent queries once (:mod:`.flight`).
"""

from cloudsql_cos_ts.cache.entry import CachedResult
from cloudsql_cos_ts.cache.key import ResultIdentity
from cloudsql_cos_ts.cache.service import CachePolicy, ResultCache, Served, open_result_cache

__all__ = ["CachePolicy", "CachedResult", "ResultCache", "ResultIdentity", "Served", "open_result_cache"]
