"""README's Python examples run and print what README says they print.

In each ```python block, the comment lines at column 0 that start with ``# `` are the expected
output, in order.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_prints_what_it_says(block: str) -> None:
    expected = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    done = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected
