"""``python -m glassnet.cli`` runs the command line, as ``python -m glassnet`` does."""

import sys

from . import main

sys.exit(main())
