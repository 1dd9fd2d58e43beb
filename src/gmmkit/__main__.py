"""``python -m gmmkit``: the command line."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C before main could catch it: the same exit as inside it
    print("gmmkit: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
