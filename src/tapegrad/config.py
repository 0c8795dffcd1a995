"""``tapegrad.config``: TensorFlow's switch between traced and eager functions, and its device
lists (tapegrad runs on one device: the CPU, through NumPy).

>>> import tapegrad as tf
>>> tf.config.run_functions_eagerly(True)
>>> tf.config.functions_run_eagerly()
True
>>> tf.config.run_functions_eagerly(False)
>>> tf.config.list_physical_devices("GPU")
[]
"""

from __future__ import annotations

from typing import NamedTuple


class PhysicalDevice(NamedTuple):
    """A device tapegrad can run on, as TensorFlow lists it."""

    name: str
    device_type: str


class LogicalDevice(NamedTuple):
    """A device as ops see it, as TensorFlow lists it."""

    name: str
    device_type: str


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The CPU, where ``device_type`` is None or ``"CPU"``; no other kind (no GPU or TPU)."""
    if device_type not in (None, "CPU"):
        return []
    return [PhysicalDevice("/physical_device:CPU:0", "CPU")]


def list_logical_devices(device_type: str | None = None) -> list[LogicalDevice]:
    """The CPU, where ``device_type`` is None or ``"CPU"``; no other kind."""
    if device_type not in (None, "CPU"):
        return []
    return [LogicalDevice("/device:CPU:0", "CPU")]

_run_eagerly = False


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Make every ``tapegrad.function`` run its Python function on each call (no tracing).

    For debugging, as in TensorFlow: prints and breakpoints inside the function then run every
    time. Results are the same either way.
    """
    global _run_eagerly
    _run_eagerly = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    """Whether ``run_functions_eagerly(True)`` is in force."""
    return _run_eagerly


__all__ = ["run_functions_eagerly", "functions_run_eagerly", "list_physical_devices",
           "list_logical_devices", "PhysicalDevice", "LogicalDevice"]
