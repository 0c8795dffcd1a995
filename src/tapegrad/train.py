"""``tf.train``: checkpoints of modules, layers, models and optimizers.

>>> import tapegrad as tf
>>> tf.train.__all__
['Checkpoint', 'CheckpointManager', 'latest_checkpoint', 'list_variables', 'load_variable']
"""

from __future__ import annotations

from .module import (
    Checkpoint,
    CheckpointManager,
    latest_checkpoint,
    list_variables,
    load_variable,
)

__all__ = ["Checkpoint", "CheckpointManager", "latest_checkpoint", "list_variables",
           "load_variable"]
