"""``govreports panel --key K --plot FILE``: each agency's series over the years, as SVG or PNG.

matplotlib with the Agg backend: renders offline, no display, no service. A
missing year is a break in the line (never interpolated); a year with two
reports shows both values as hollow markers off the line (the panel does not
pick one); a year whose cross-year check failed gets a red ring. SVG keeps
text as text, so agency names show in the viewer's own CJK fonts; PNG uses a
CJK font when the system has one (``make setup`` installs WenQuanYi Micro Hei
where apt can).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["plot_panel"]

#: font families tried for Chinese labels in PNG, in order
_CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "SimHei")
#: more agencies than this and the legend would hide the plot
_MAX_LEGEND = 20


def _cjk_family() -> list[str]:
    """The CJK families available, then DejaVu. matplotlib's font cache predates a font
    installed after its first run, so system font files are looked at once as well."""
    from matplotlib import font_manager

    fm = font_manager.fontManager
    if not any(f.name in _CJK_FONTS for f in fm.ttflist):
        for path in font_manager.findSystemFonts():
            if any(tag in Path(path).name.lower() for tag in ("wqy", "cjk", "sourcehan", "simhei")):
                with contextlib.suppress(Exception):  # an unreadable font file is not ours to fix
                    fm.addfont(path)
    have = {f.name for f in fm.ttflist}
    return [f for f in _CJK_FONTS if f in have] + ["DejaVu Sans"]


def plot_panel(rows: Sequence[Any], failures: Sequence[Any], key: str, path: Path) -> None:
    """Draw ``rows`` (``storage.panel.PanelRow`` of one key) to ``path`` (.svg or .png).

    ``failures`` (``CrossYearFailure``) mark their agency and year.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    series: dict[int, dict[int, list[float]]] = {}
    names: dict[int, str] = {}
    for r in rows:
        series.setdefault(r.agency_id, {}).setdefault(r.year, []).append(float(r.value))
        names[r.agency_id] = r.agency
    failed = {(f.agency_id, f.year) for f in failures}
    years = [y for s in series.values() for y in s]
    lo, hi = min(years), max(years)

    with (
        plt.rc_context({"font.family": _cjk_family(), "svg.fonttype": "none", "axes.unicode_minus": False}),
        warnings.catch_warnings(),
    ):
        # without a CJK font a PNG shows boxes for Chinese glyphs: said once in the docstring,
        # not once per glyph
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * (hi - lo + 1) + 3), 4.5))
        try:
            for aid in sorted(series, key=lambda a: (names[a], a)):
                by_year = series[aid]
                span = range(min(by_year), max(by_year) + 1)
                # one value per year on the line; a gap or a doubled year is NaN, so the line breaks
                ys = [by_year[y][0] if len(by_year.get(y, ())) == 1 else math.nan for y in span]
                (line,) = ax.plot(list(span), ys, marker="o", label=names[aid], gid=f"agency-{aid}")
                for y, values in by_year.items():
                    if len(values) > 1:
                        ax.scatter([y] * len(values), values, facecolors="none", edgecolors=line.get_color(),
                                   s=60, zorder=3, gid=f"doubled-{aid}-{y}")
                    if (aid, y) in failed:
                        ax.scatter([y] * len(values), values, facecolors="none", edgecolors="red", s=180,
                                   linewidths=1.5, zorder=4, gid=f"cross-year-failed-{aid}-{y}")
            ax.set_xticks(list(range(lo, hi + 1)))
            ax.set_xlabel("year / 年度")
            ax.set_ylabel(key)
            ax.set_title(f"{key}   hollow ○: two reports in one year / 同年两份报告   red ○: cross-year check failed / 跨年核对未通过", fontsize="small")
            ax.grid(True, alpha=0.3)
            if len(series) <= _MAX_LEGEND:
                ax.legend(fontsize="small", loc="best")
            fig.tight_layout()
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, format=path.suffix.lower().lstrip("."), dpi=120)
        finally:
            plt.close(fig)
