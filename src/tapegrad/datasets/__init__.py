"""Small public-domain data sets shipped with tapegrad (see README.md in this folder).

>>> from tapegrad.datasets import load_challenger
>>> table = load_challenger()
>>> table.X.shape, int(table.y.sum()), table.features, table.target
((23, 1), 7, ['temperature_f'], 'distress')
"""

from __future__ import annotations

from importlib import resources

from ..models.table import Table, load_csv

CHALLENGER = "challenger.csv"


def path(name: str = CHALLENGER) -> str:
    """The file system path of a bundled data file.

    >>> from tapegrad.datasets import path
    >>> path().endswith("challenger.csv")
    True
    """
    return str(resources.files(__name__).joinpath(name))


def load_challenger(features: list[str] | None = None, target: str = "distress") -> Table:
    """The 23 Space Shuttle launches before Challenger's last: launch temperature and O-rings.

    Columns: ``launch`` (1-23, in order), ``temperature_f`` (°F at launch),
    ``distressed_orings`` (field-joint O-rings of 6 with thermal distress) and ``distress``
    (1 if any had). By default X is the temperature and y the distress indicator.
    """
    return load_csv(path(CHALLENGER), target=target, features=features or ["temperature_f"])


__all__ = ["path", "load_challenger"]
