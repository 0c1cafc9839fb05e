"""``CallResource`` endpoints: a routing table of small JSON handlers."""
