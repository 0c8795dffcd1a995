"""``python -m benchmarks``: run the benchmarks and write docs/benchmarks.md."""

import sys

from .harness import main

sys.exit(main())
