"""The ``cloudsql-cos-ts`` command line: sample data, queries, health checks, macro previews, the plugin process."""
