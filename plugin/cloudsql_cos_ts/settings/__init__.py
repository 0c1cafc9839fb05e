"""Typed, validated settings: per datasource (Grafana's instance settings) and plugin-wide (env)."""
