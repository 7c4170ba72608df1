"""The project plan's success criteria, stated as entity recognition rates
(recall under strict matching), and which of them a result reaches."""

from __future__ import annotations

RECOGNITION_CRITERIA = (("minimum", 0.50), ("target", 0.70), ("ideal", 0.90))


def recognition_level(rate: float, low: float | None = None) -> str:
    """Which success criterion the rate reaches; with the CI's lower end, also
    whether the interval dips back below that bar (not a firm result)."""
    reached = [(name, bar) for name, bar in RECOGNITION_CRITERIA if rate >= bar]
    if not reached:
        return "below minimum"
    name, bar = reached[-1]
    if low is not None and low < bar:
        return f"{name} reached, but the CI reaches below {bar:.0%}"
    return f"{name} reached"
