"""Give large freed buffers back to the OS in the crawl's processes (glibc only).

A crawl allocates thousands of short-lived buffers of 50 kB to a few MB: response bodies,
their decoded copies, PDFs in the parse workers. glibc serves big requests with ``mmap``
and returns them on ``free``, but its threshold is dynamic: the first such buffer freed
raises the threshold to its size, and from then on bodies come from the heap, which only
grows. At 10,000 reports the crawl process sat at ~330 MB while the Python objects alive
at any moment never passed ~120 MB. A fixed threshold keeps big buffers on ``mmap``.
"""

from __future__ import annotations

import ctypes
import functools

__all__ = ["MMAP_THRESHOLD", "return_large_buffers_to_os"]

#: buffers at least this big are mapped and unmapped on their own (glibc's initial default;
#: fixing it turns off the dynamic raise)
MMAP_THRESHOLD = 128 * 1024

_M_MMAP_THRESHOLD = -3  # mallopt parameter number, from <malloc.h>


@functools.cache
def return_large_buffers_to_os() -> bool:
    """Fix glibc's mmap threshold for this process; False where there is no glibc.

    The symbol is looked up in the running process (``CDLL(None)``), not by library name:
    ``ctypes.util.find_library`` runs ``ldconfig`` in a subprocess, ~35 ms of start-up.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl, macOS, Windows: no mallopt, nothing to do
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
