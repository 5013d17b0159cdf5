"""Deterministic randomness keyed by names, not by call order.

Every choice the simulator makes (a site's family, a report's numbers, whether a
request fails) is drawn from a generator seeded by a hash of the simulator seed
and the *identity* of the thing being decided. Serving pages lazily and in any
order therefore gives the same bytes for the same seed, and a fault decision for
"URL u, attempt n" does not depend on what else was requested before.
"""

from __future__ import annotations

import hashlib
import random

__all__ = ["rng_for", "unit"]


def _digest(parts: tuple[object, ...]) -> bytes:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=16).digest()


def rng_for(*parts: object) -> random.Random:
    """A ``random.Random`` seeded from the given identity parts."""
    return random.Random(int.from_bytes(_digest(parts), "big"))


def unit(*parts: object) -> float:
    """A number in [0, 1) fixed by the identity parts (cheaper than ``rng_for``)."""
    return int.from_bytes(_digest(parts)[:8], "big") / 2**64
