"""`python -m rolodex` runs the `rolodex` command."""

from rolodex.cli import main

main()
