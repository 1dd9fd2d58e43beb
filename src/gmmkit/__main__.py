"""``python -m gmmkit``: the command line."""

from .cli import main

raise SystemExit(main())
