"""The result cache: answers repeated queries from disk instead of running them again.

A dashboard refresh sends the same queries again and again, and each cold run over COS costs
seconds. :class:`ResultCache` keys a query's encoded frames on everything that decides them
(:mod:`.key`), aligns live time ranges so refreshes share keys (:mod:`.align`), keeps entries as
checksummed Arrow bytes in a bounded diskcache store (:mod:`.entry`, :mod:`.store`) and runs
identical concurrent queries once (:mod:`.flight`). It takes plain values and never imports the
query pipeline or the settings: the pipeline hands it a key and the run (:meth:`ResultCache.get_or_run`).
"""

from cloudsql_cos_ts.cache.align import cached_range
from cloudsql_cos_ts.cache.entry import CachedResult
from cloudsql_cos_ts.cache.freshness import CacheTerms, entry_ttl
from cloudsql_cos_ts.cache.key import ResultIdentity
from cloudsql_cos_ts.cache.service import RESULTS_FOLDER, Lookup, ResultCache, Served, open_result_cache

__all__ = [
    "RESULTS_FOLDER",
    "CacheTerms",
    "CachedResult",
    "Lookup",
    "ResultCache",
    "ResultIdentity",
    "Served",
    "cached_range",
    "entry_ttl",
    "open_result_cache",
]
