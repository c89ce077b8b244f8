"""`python -m digest.cli`: the command line.
May import: cli.
"""

from . import main

main()
