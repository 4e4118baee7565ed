"""`python -m amrwatch` runs the command line."""

from amrwatch.cli.main import run

run()
