"""``python -m sae_core``: the command line."""

import sys

from sae_core.cli.commands import main

sys.exit(main())
