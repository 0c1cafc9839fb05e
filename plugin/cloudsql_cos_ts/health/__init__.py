"""Save & test: a staged walk through the datasource's whole path, each stage timed and reported."""
