"""`python -m trialex` is the `trialex` command."""
import sys

from trialex.cli import main

sys.exit(main())
