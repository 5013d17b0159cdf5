"""A crawl in its own process, for the tests that kill it or race two of them.

``python tests/reliability/crawl_driver.py CATALOG DB_URL ARCHIVE [BATCH_SIZE]`` runs the
plain pipeline (``flows.pipeline.run_sources``, no Prefect) over every source of the
catalog and exits 0 when every source completed, 1 otherwise (printing why).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_helpers import crawl


def main(argv: list[str]) -> int:
    catalog, db, archive = Path(argv[0]), argv[1], Path(argv[2])
    batch = int(argv[3]) if len(argv) > 3 else 4
    results = crawl(catalog, db, archive, batch_size=batch)
    bad = [r for r in results if r.state != "completed"]
    for r in results:
        print(f"{r.source_key}: {r.state} found={r.discovered} new={r.new} changed={r.changed} "
              f"unchanged={r.unchanged} failed={r.failed} parse_failed={r.parse_failed} error={r.error}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
