"""portalsim: a local simulator of Chinese government portals (TRS, Hanweb, gkmlpt, plain sites).

It is what ``make demo`` crawls, what the crawl tests run against and what the
benchmarks measure; see ``portalsim/README.md``.
"""

from portalsim.faults import FAULT_NAMES, FaultError, FaultSpec, parse_faults
from portalsim.simulator import Simulator
from portalsim.truth import TruthReport

__all__ = ["FAULT_NAMES", "FaultError", "FaultSpec", "Simulator", "TruthReport", "parse_faults"]
