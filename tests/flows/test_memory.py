"""The crawl process gives freed bodies back to the OS (``flows.memory``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from flows.memory import return_large_buffers_to_os

# A fresh interpreter (glibc's threshold is per process and only ever moves up): one big
# buffer freed first, as after the first large response; then 200 bodies of 200 kB, each
# followed by a small object that stays alive (a log entry, a URL), as in a crawl. The
# bodies are freed; what the process still holds is printed in MB.
_SCRIPT = """
import sys
if sys.argv[1] == "fixed":
    from flows.memory import return_large_buffers_to_os
    assert return_large_buffers_to_os()
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
first = bytearray(4 << 20)
del first
base = rss()
bodies, keep = [], []
for i in range(200):
    bodies.append(b"x" * (200 * 1024))
    keep.append(b"k" * 1024)
del bodies
print(rss() - base)
"""


def _retained_mb(mode: str) -> float:
    # setuptools (installed with Datasette) adds a start-up hook to every interpreter
    # (distutils-precedence.pth) whose imports move glibc's threshold before the script
    # runs: the control case would no longer show the pinned heap (7 MB instead of 39)
    env = {**os.environ, "SETUPTOOLS_USE_DISTUTILS": "stdlib"}
    out = subprocess.run([sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux") or not return_large_buffers_to_os(), reason="glibc only")
def test_freed_bodies_leave_the_process_instead_of_pinning_the_heap() -> None:
    # without the fixed threshold the 40 MB of bodies stay in the heap behind the small objects
    assert _retained_mb("default") > 30
    assert _retained_mb("fixed") < 5
