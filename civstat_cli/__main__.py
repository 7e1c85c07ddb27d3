from __future__ import annotations

import sys

from civstat_cli.main import main

sys.exit(main())
