"""Entry point frozen by PyInstaller into dist/backend/: the plugin process Grafana starts."""

from cloudsql_cos_ts.server.main import main

if __name__ == "__main__":
    raise SystemExit(main())
