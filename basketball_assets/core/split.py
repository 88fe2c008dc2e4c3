"""The training/validation split: a pure function of the play id.

Hashing the id (rather than shuffling) means a play's split never changes when other
plays or games are added, and every clip of a play lands in the same split.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Split = Literal["training", "validation"]
DEFAULT_VALIDATION_FRACTION = 0.2


def split_position(play_id: str) -> float:
    """The play's position in ``[0, 1)``, uniform over ids."""
    return int(hashlib.sha256(play_id.encode("utf-8")).hexdigest(), 16) / 2**256


def split_of(play_id: str, validation_fraction: float = DEFAULT_VALIDATION_FRACTION) -> Split:
    """``validation`` when the play's position is below ``validation_fraction``."""
    return "validation" if split_position(play_id) < validation_fraction else "training"
