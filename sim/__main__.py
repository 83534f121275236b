"""``python -m sim`` runs the ccsim command line (``ccsim`` is the documented command)."""

import os
import sys

from sim.cli.app import INTERRUPTED, TERMINATED, main

code = main()
if code in (INTERRUPTED, TERMINATED):
    # Under ``python -m``, CPython ends a process that saw a Ctrl-C by re-raising SIGINT at exit (exit status -2)
    # even when the command handled it; the command has ended its workers and written nothing, so leave now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
