"""Griffe extension: show the ``>>>`` examples of tapegrad's docstrings as Python code.

The docstrings are plain text with doctest examples (they run as tests); Markdown would read
an example's output, such as ``[2.0, 27.0]``, as a link. Each run of lines from a ``>>>`` line to
the next blank line becomes a fenced ``pycon`` block.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

EXAMPLE = re.compile(r"^([ \t]*)>>> .*?(?=^\s*$|\Z)", re.S | re.M)


def fence(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        indent = match.group(1)
        return f"{indent}```pycon\n{match.group(0).rstrip()}\n{indent}```\n"
    return EXAMPLE.sub(replace, text)


class Doctests(griffe.Extension):
    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is not None and ">>>" in docstring.value and "```" not in docstring.value:
            docstring.value = fence(docstring.value)

    def on_package(self, *, pkg: Any, **kwargs: Any) -> None:  # a package's own docstring
        self.on_object(obj=pkg)
