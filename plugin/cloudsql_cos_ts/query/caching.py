"""The result cache as the plugin's settings configure it: where it lives and a datasource's terms.

The cache takes plain values and knows nothing of settings (docs/architecture.md, "Layers"); this
module is where the settings become those values, for QueryData and the ``cache/clear`` resource.
"""

from __future__ import annotations

from cloudsql_cos_ts.cache import RESULTS_FOLDER, CacheTerms, ResultCache, open_result_cache
from cloudsql_cos_ts.settings.datasource import DatasourceSettings
from cloudsql_cos_ts.settings.plugin import PluginSettings, ensure_private_dir


def result_cache(plugin: PluginSettings) -> ResultCache:
    """The process's result cache under ``<cache_dir>/results``, made private first: results may hold sensitive rows."""
    directory = ensure_private_dir(plugin.cache_dir / RESULTS_FOLDER)
    return open_result_cache(directory, plugin.cache_size_bytes, plugin.cache_memory_bytes)


def cache_terms(settings: DatasourceSettings) -> CacheTerms:
    return CacheTerms(
        ttl_s=settings.cache_ttl_s,
        align_ranges=settings.cache_align_ranges,
        settle_s=settings.cache_settle_s,
        align_step_s=settings.cache_align_step_s,
    )
