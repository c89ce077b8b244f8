"""`python -m digest`: the command line.
May import: cli.
"""

from .cli import main

main()
