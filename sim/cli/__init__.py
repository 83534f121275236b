"""The command line (``ccsim``): the only layer that touches argv, signals and exit codes."""

from sim.cli.app import main

__all__ = ["main"]
