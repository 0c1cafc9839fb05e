"""Flow enrichment: country, ASN and AS name, address scope, the user's subnet names, IANA service
and protocol names, computed over whole Arrow arrays so every engine calls it once per batch.

``functions.py`` is the one list of SQL functions; ``data.py`` loads the bundled files (or the
datasource's own); ``view.py`` gives the ``FLOW_ENRICHED`` columns as SQL over ``FLOW_FLAT``.
"""
