"""Property: no input makes the parser crash or escape with anything but ParseError.

Inputs are random bytes, and mutations of the real corpus (truncated, spliced,
with bytes flipped, behind each format's magic), because near-valid documents
reach much deeper into the readers than noise does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import ParseError, parse_bytes
from parsers.limits import Limits
from parsers.record import Record

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SEEDS = [p.read_bytes() for p in sorted((CORPUS / "text").glob("*.txt"))] + [
    (CORPUS / "html" / "pingtan_2013_county.html").read_bytes()[:40000]
]
MAGIC = [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"<html><div class=TRS_Editor>", b"\xef\xbb\xbf"]
#: in-process PDF parsing: hypothesis runs many examples, the worker round-trip is tested elsewhere
LIMITS = Limits(isolate=False, timeout=10)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    seed = draw(st.sampled_from(SEEDS))
    start = draw(st.integers(0, len(seed)))
    end = draw(st.integers(start, len(seed)))
    body = bytearray(seed[start:end])
    for _ in range(draw(st.integers(0, 8))):
        if body:
            body[draw(st.integers(0, len(body) - 1))] = draw(st.integers(0, 255))
    noise = draw(st.binary(max_size=256))
    return draw(st.sampled_from(MAGIC)) + bytes(body) + noise


def _check(data: bytes) -> None:
    try:
        record = parse_bytes(data, filename="fuzz.bin", limits=LIMITS)
    except ParseError as exc:
        assert exc.kind and exc.reason
        assert "internal error" not in exc.reason, exc.reason
        return
    assert isinstance(record, Record)
    record.to_dict()


@pytest.mark.timeout(120)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_mutated_corpus_never_crashes(data: bytes) -> None:
    _check(data)


@pytest.mark.timeout(60)
@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_never_crash(data: bytes) -> None:
    _check(data)


@pytest.mark.timeout(60)
@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500))
def test_random_text_and_markup_never_crash(text: str) -> None:
    _check(text.encode("utf-8"))
    _check(f"<html><body><div id='zoom'><table><tr><td rowspan='{len(text)}'>{text}</td></tr></table></div></body></html>".encode())
