"""Make tests/ importable (the op table) wherever pytest runs from."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def pytest_terminal_summary(terminalreporter) -> None:
    """The differential fuzzer's counts: programs run and ops covered (tests/test_fuzz_tf.py)."""
    fuzzer = sys.modules.get("test_fuzz_tf")
    if fuzzer is not None and fuzzer.summary():
        terminalreporter.write_line(fuzzer.summary())
