"""Save & test's stages in the order the plugin reports them: the one list every test compares with."""

STAGES = ("settings", "credentials", "source", "scan", "destination", "enrichment", "engine")
