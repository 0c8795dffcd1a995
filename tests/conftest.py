"""Make tests/ importable (the op table) wherever pytest runs from."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
