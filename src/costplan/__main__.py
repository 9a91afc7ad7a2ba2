"""``python -m costplan``."""

from costplan.cli.app import main

main()
