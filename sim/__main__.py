"""``python -m sim`` runs the ccsim command line."""

import sys

from sim.cli import main

sys.exit(main())
