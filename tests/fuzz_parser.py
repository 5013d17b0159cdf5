"""Coverage-guided fuzzing of the parser with atheris (``make fuzz``).

Run: ``python -m tests.fuzz_parser -atheris_runs=20000``. atheris is an
optional extra (``uv sync --extra fuzz``), imported inside ``main`` so that this
module imports (and is linted) without it. Any exception other than
ParseError, or a ParseError reporting an internal error, is a finding.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def check(data: bytes) -> None:
    """One fuzz input: must parse or raise a well-formed ParseError."""
    from parsers import ParseError, parse_bytes
    from parsers.limits import Limits

    try:
        parse_bytes(data, filename="fuzz.bin", limits=Limits(isolate=False, timeout=10))
    except ParseError as exc:
        if "internal error" in exc.reason:
            raise AssertionError(exc.reason) from exc


def main(argv: list[str] | None = None) -> None:
    import atheris

    with atheris.instrument_imports():
        import parsers
        import parsers.html
        import parsers.report
        import parsers.sniff
        import parsers.text  # noqa: F401

    args = list(sys.argv if argv is None else argv)
    if not any(a for a in args[1:] if not a.startswith("-")):
        # start from the real reports, copied: libFuzzer writes new inputs into its corpus dir
        work = Path(tempfile.mkdtemp(prefix="govreports-fuzz-"))
        for seed in (CORPUS / "text").glob("*.txt"):
            shutil.copy(seed, work / seed.name)
        args.append(str(work))
    atheris.Setup(args, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
