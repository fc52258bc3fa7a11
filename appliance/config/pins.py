"""Raspberry Pi header pin names: the three ways a profile may name one GPIO pin.

Beside :mod:`appliance.config.profile`, which reads every ``pin`` key through
:func:`normalise_pin`, so two keys that name one pin in different spellings
are caught as a pin used twice.
"""

from __future__ import annotations

import re

# Raspberry Pi 40-pin header: physical pin -> BCM GPIO number.
_BOARD_TO_BCM = {
    3: 2, 5: 3, 7: 4, 8: 14, 10: 15, 11: 17, 12: 18, 13: 27, 15: 22, 16: 23, 18: 24, 19: 10,
    21: 9, 22: 25, 23: 11, 24: 8, 26: 7, 27: 0, 28: 1, 29: 5, 31: 6, 32: 12, 33: 13, 35: 19,
    36: 16, 37: 26, 38: 20, 40: 21,
}  # fmt: skip
_PIN_RE = re.compile(r"^(?:(?P<bcm>GPIO|BCM)(?P<n>\d+)|BOARD(?P<board>\d+))$", re.IGNORECASE)


def normalise_pin(name: str) -> str:
    """``GPIO17``, ``BCM17`` and ``BOARD11`` all name the same pin: return ``GPIO17``."""
    match = _PIN_RE.match(name.strip())
    if not match:
        raise ValueError("expected a pin name like GPIO17, BCM17 or BOARD11")
    if match.group("board"):
        board = int(match.group("board"))
        if board not in _BOARD_TO_BCM:
            raise ValueError(f"BOARD{board} is not a GPIO pin of the 40-pin header")
        return f"GPIO{_BOARD_TO_BCM[board]}"
    number = int(match.group("n"))
    if number > 27:
        raise ValueError(f"GPIO{number} is outside the 40-pin header (GPIO0-GPIO27)")
    return f"GPIO{number}"
