"""Harvesters: one plug-in per source behind one base class (see docs/harvesting.md).

Entry point: `harvesters.run.run_harvest`.
"""

from .config import HarvestConfig

__all__ = ["HarvestConfig"]
