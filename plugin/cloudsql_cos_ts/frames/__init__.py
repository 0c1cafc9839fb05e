"""Grafana data frames: Arrow type coercion, shaping (table / time series / numeric) and IPC encoding."""
