"""`python -m kg`: the same as the `kg` command."""

import sys

from .cli import main

sys.exit(main())
