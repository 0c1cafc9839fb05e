"""``python -m cloudsql_cos_ts.server``: the plugin process exactly as the launcher starts it."""

import sys

from cloudsql_cos_ts.server.main import main

sys.exit(main())
