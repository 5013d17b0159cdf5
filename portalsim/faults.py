"""Per-site faults: what goes wrong on a simulated portal, and when.

A site's faults are a small mapping, written on the command line as
``site3=http500:0.3,slow:2.0`` (several sites separated by ``;``). Rates are
decided per URL *and attempt* with a seeded hash, so a run is reproducible and a
transient fault (5xx, 429, reset, truncation) never hits the same URL on every
attempt: at most three attempts in a row fail, the fourth always succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portalsim.rand import unit

__all__ = ["FAULT_NAMES", "FaultError", "FaultSpec", "parse_faults"]

#: name → (default parameter, meaning)
FAULT_NAMES: dict[str, tuple[float, str]] = {
    "http500": (0.2, "rate of 500 Internal Server Error"),
    "http502": (0.2, "rate of 502 Bad Gateway"),
    "http503": (0.2, "rate of 503 Service Unavailable (with Retry-After: 1)"),
    "http429": (0.2, "rate of 429 Too Many Requests with Retry-After"),
    "retry_after": (1.0, "seconds announced in Retry-After on 429/503"),
    "slow": (1.0, "seconds before the first byte of every response"),
    "reset": (0.2, "rate of connections reset mid-body"),
    "truncate": (0.2, "rate of bodies shorter than their Content-Length"),
    "antibot": (1.0, "412 + $_ts script page (瑞数-style) for any request without the challenge cookie"),
    "broken_pdf": (0.5, "rate of PDF attachments served damaged (truncated file)"),
    "redirect_loop": (1.0, "a list item whose URL redirects in a loop"),
    "redirect_offsite": (1.0, "a list item redirecting to another host"),
    "redirect_private": (1.0, "a list item redirecting to a private/link-local address"),
    "gzip_bomb": (200.0, "a list item served gzip-encoded: small on the wire, this many MB inflated"),
    "oversized": (60.0, "a list item this many MB long"),
    "crawl_delay": (1.0, "Crawl-delay announced in robots.txt (seconds)"),
}
_TRANSIENT_STATUS = {"http500": 500, "http502": 502, "http503": 503, "http429": 429}
_TRAPS = ("redirect_loop", "redirect_offsite", "redirect_private", "gzip_bomb", "oversized")


class FaultError(ValueError):
    """A faults option that cannot be understood; the message names the part."""


@dataclass(frozen=True, slots=True)
class FaultSpec:
    values: dict[str, float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.values)

    def get(self, name: str) -> float | None:
        return self.values.get(name)

    def traps(self) -> list[str]:
        """Fault names that add an item to the site's lists."""
        return [t for t in _TRAPS if t in self.values]

    def transient_status(self, seed: int, site: int, url: str, attempt: int) -> int | None:
        """The error status to answer for this attempt at ``url``, or None to serve it.

        Every fourth attempt (3, 7, …) is always served, so a client retrying
        four times always gets through.
        """
        if attempt % 4 == 3:
            return None
        for name, status in _TRANSIENT_STATUS.items():
            rate = self.values.get(name)
            if rate and unit(seed, site, url, attempt, name) < rate:
                return status
        return None

    def body_fault(self, seed: int, site: int, url: str, attempt: int) -> str | None:
        """"reset" or "truncate" when this response's body is to be cut, else None."""
        if attempt % 4 == 3:
            return None
        for name in ("reset", "truncate"):
            rate = self.values.get(name)
            if rate and unit(seed, site, url, attempt, name) < rate:
                return name
        return None

    def describe(self) -> str:
        return ",".join(f"{k}:{v:g}" for k, v in sorted(self.values.items()))


def _parse_one(text: str, where: str) -> FaultSpec:
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, arg = part.partition(":")
        name = name.strip().replace("-", "_")
        if name not in FAULT_NAMES:
            raise FaultError(f"{where}: unknown fault {name!r} (known: {', '.join(sorted(FAULT_NAMES))})")
        try:
            values[name] = float(arg) if arg.strip() else FAULT_NAMES[name][0]
        except ValueError:
            raise FaultError(f"{where}: fault {name!r} needs a number, got {arg!r}") from None
        if values[name] < 0:
            raise FaultError(f"{where}: fault {name!r} must not be negative")
    return FaultSpec(values)


def parse_faults(spec: str | dict[str, str | FaultSpec | dict[str, float]] | None) -> dict[str, FaultSpec]:
    """``"site3=http500:0.3,slow:2;site5=antibot"`` (or a mapping) → {site key: FaultSpec}."""
    if not spec:
        return {}
    if isinstance(spec, str):
        out: dict[str, FaultSpec] = {}
        for chunk in filter(None, (c.strip() for c in spec.split(";"))):
            key, sep, rest = chunk.partition("=")
            if not sep:
                raise FaultError(f"faults {chunk!r}: expected SITE=FAULT[:ARG],… (e.g. site3=http500:0.3)")
            out[key.strip()] = _parse_one(rest, key.strip())
        return out
    result: dict[str, FaultSpec] = {}
    for key, value in spec.items():
        if isinstance(value, FaultSpec):
            result[key] = value
        elif isinstance(value, str):
            result[key] = _parse_one(value, key)
        else:
            result[key] = _parse_one(",".join(f"{k}:{v}" for k, v in value.items()), key)
    return result
