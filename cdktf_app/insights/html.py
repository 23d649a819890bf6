"""The insights as one self-contained HTML page: inline SVG plots (duration over time with the baseline band and
the flagged runs, failure rate over time, top signatures) and the tables; no script, no request leaves it."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from html import escape

from .analyze import Insights
from .baselines import Band

WIDTH, HEIGHT, MARGIN = 880, 220, 44
MAX_DURATION_PLOTS = 6
FLAG_KINDS = ("duration", "level_shift")


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d")


def _scale(low: float, high: float, size: float, flip: bool = False):
    span = (high - low) or 1.0

    def to(value: float) -> float:
        share = (value - low) / span
        return round(MARGIN + (1 - share if flip else share) * (size - 2 * MARGIN), 1)
    return to


def _axes(x_low: float, x_high: float, y_high: float, unit: str) -> str:
    return (f'<line class="axis" x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}"/>'
            f'<line class="axis" x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{HEIGHT - MARGIN}"/>'
            f'<text x="{MARGIN}" y="{HEIGHT - 12}">{_when(x_low)}</text>'
            f'<text x="{WIDTH - MARGIN}" y="{HEIGHT - 12}" text-anchor="end">{_when(x_high)}</text>'
            f'<text x="4" y="{MARGIN - 8}">{y_high:.0f} {escape(unit)}</text>')


def duration_plot(name: str, bands: list[Band], flagged: dict[str, str]) -> str:
    """One series: its values, the median and the ±threshold band each run was judged in, flagged runs in red."""
    x = _scale(bands[0].at, bands[-1].at, WIDTH)
    top = max(max(b.value for b in bands), max((b.high or 0) for b in bands)) * 1.05
    y = _scale(0, top, HEIGHT, flip=True)
    judged = [b for b in bands if b.median is not None]
    band = ""
    if judged:
        upper = " ".join(f"{x(b.at)},{y(min(b.high, top))}" for b in judged)
        lower = " ".join(f"{x(b.at)},{y(b.low)}" for b in reversed(judged))
        median = " ".join(f"{x(b.at)},{y(b.median)}" for b in judged)
        band = (f'<polygon class="band" points="{upper} {lower}"/>'
                f'<polyline class="median" points="{median}"/>')
    values = " ".join(f"{x(b.at)},{y(b.value)}" for b in bands)
    marks = "".join(f'<circle class="flag {flagged[b.run_id]}" cx="{x(b.at)}" cy="{y(b.value)}" r="4">'
                    f'<title>run {escape(b.run_id)}: {b.value:.1f} ({flagged[b.run_id]})</title></circle>'
                    for b in bands if b.run_id in flagged)
    return (f'<figure><figcaption>{escape(name)}: duration with the baseline band</figcaption>'
            f'<svg class="plot duration" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
            f'{_axes(bands[0].at, bands[-1].at, top, "s")}{band}<polyline class="value" points="{values}"/>{marks}'
            f'</svg></figure>')


def failure_rate_plot(name: str, series: list[tuple[float, float]]) -> str:
    x = _scale(series[0][0], series[-1][0], WIDTH)
    y = _scale(0, 1, HEIGHT, flip=True)
    points = " ".join(f"{x(at)},{y(rate)}" for at, rate in series)
    return (f'<figure><figcaption>{escape(name)}: failure rate (last 20 runs, storms left out)</figcaption>'
            f'<svg class="plot failure-rate" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
            f'{_axes(series[0][0], series[-1][0], 100, "%")}<polyline class="rate" points="{points}"/></svg></figure>')


def signature_plot(signatures) -> str:
    top = signatures[:8]
    if not top:
        return "<p>No failed job with a log.</p>"
    widest = max(s.count for s in top)
    rows = "".join(
        f'<text x="4" y="{30 + i * 26}">{escape(s.id[:38])}</text>'
        f'<rect class="bar" x="300" y="{18 + i * 26}" width="{round(540 * s.count / widest, 1)}" height="16">'
        f'<title>{escape(s.evidence[:200])}</title></rect>'
        f'<text x="{306 + round(540 * s.count / widest, 1)}" y="{30 + i * 26}">{s.count}</text>'
        for i, s in enumerate(top))
    return (f'<figure><figcaption>Top failure signatures (runs)</figcaption><svg class="plot signatures" '
            f'viewBox="0 0 {WIDTH} {30 + len(top) * 26}" role="img">{rows}</svg></figure>')


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(insights: Insights, healing: list[dict]) -> str:
    from .report import healing_rates

    flagged: dict[str, dict[str, str]] = {}
    for finding in insights.findings:
        if finding.kind in FLAG_KINDS:
            key = f"{finding.source} {finding.subject}" + (f"@{finding.branch}" if finding.branch else "")
            flagged.setdefault(key, {})[finding.run_id] = finding.kind
    judged = [key for key, bands in insights.bands.items() if any(band.median is not None for band in bands)]
    busiest = sorted(judged, key=lambda key: (-len(flagged.get(key, {})), -len(insights.bands[key]), key))
    durations = "".join(duration_plot(key, insights.bands[key], flagged.get(key, {}))
                        for key in busiest[:MAX_DURATION_PLOTS])
    rates = "".join(failure_rate_plot(name, series) for name, series in sorted(insights.failure_rates.items())
                    if len(series) > 1)
    counts = Counter(finding.kind for finding in insights.findings)
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "no anomalies"
    anomalies = _table(["run", "kind", "subject", "branch", "explanation"],
                       [[f.run_id, f.kind, f.subject, f.branch or "", f.explanation] for f in insights.findings])
    flaky = _table(["subject", "flakes", "last run", "clean since", "status"],
                   [[f.subject, f.flakes, f.last_run, f.clean_since, "flaky" if f.flagged else "cleared"]
                    for f in insights.flaky])
    signatures = _table(["signature", "class", "kind", "runs", "first seen", "evidence"],
                        [[s.id, s.failure_class, s.kind, s.count, s.first_seen, s.evidence[:160]]
                         for s in insights.signatures])
    healed = _table(["class", "action", "succeeded", "failed", "pending", "success rate"],
                    [[r["failure_class"], r["action"], r["succeeded"], r["failed"], r["pending"],
                      "-" if r["success_rate"] is None else f"{r['success_rate']:.0%}"]
                     for r in healing_rates(healing)])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Nexus pipeline insights</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body {{ font: 14px system-ui, sans-serif; margin: 24px; color: #1d2330; }}
figure {{ margin: 12px 0 24px; }} figcaption {{ font-weight: 600; margin-bottom: 4px; }}
svg.plot {{ width: 100%; max-width: {WIDTH}px; background: #fbfcfe; border: 1px solid #dde3ee; }}
svg text {{ font-size: 11px; fill: #4a5468; }} .axis {{ stroke: #8a94a8; }}
.band {{ fill: #cfe3ff; stroke: none; }} .median {{ fill: none; stroke: #3f7fd9; stroke-dasharray: 4 3; }}
.value {{ fill: none; stroke: #1d2330; stroke-width: 1; }} .rate {{ fill: none; stroke: #c0392b; stroke-width: 1.5; }}
.flag {{ fill: #e0312b; }} .flag.level_shift {{ fill: #f39c12; }} .bar {{ fill: #6c5ce7; }}
table {{ border-collapse: collapse; margin-bottom: 24px; }} td, th {{ border: 1px solid #dde3ee; padding: 3px 6px;
text-align: left; vertical-align: top; }}
</style></head><body>
<h1>Pipeline insights</h1><p id="summary">{escape(summary)}</p>
<h2>Durations</h2>{durations or "<p>No series long enough for a baseline.</p>"}
<h2>Failure rate</h2>{rates or "<p>No CI runs.</p>"}
<h2>Failure signatures</h2>{signature_plot(insights.signatures)}{signatures}
<h2>Anomalies</h2>{anomalies}<h2>Flaky jobs</h2>{flaky}<h2>Healing outcomes</h2>{healed}
</body></html>
"""
