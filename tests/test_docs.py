"""Every example in tapegrad's docstrings runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import tapegrad

MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(tapegrad.__path__, "tapegrad."))


@pytest.mark.parametrize("name", ["tapegrad"] + MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
