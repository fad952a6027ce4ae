"""Self-contained HTML report: run summary, violations, and per-feature baseline vs
current distributions drawn as inline SVG (nothing is fetched from the network)."""

from __future__ import annotations

from html import escape
from typing import Any

from drift_monitor.evaluate import FeatureResult

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px}
th{background:#f3f3f3}.bad{color:#b00020;font-weight:bold}.ok{color:#1b5e20}
.warn{border:2px solid #e65100;background:#fff3e0;padding:0 1em;margin:1em 0}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}
"""
_BASE, _CUR = "#7986cb", "#ff8a65"
_MAX_BARS = 40


def _bars(f: FeatureResult) -> str:
    """Grouped bar chart of the two distributions (at most 40 bins, merged evenly)."""
    base, cur, labels = f.baseline_probs, f.current_probs, f.labels
    if not base:
        return "<p>No distribution to compare.</p>"
    step = max(1, -(-len(base) // _MAX_BARS))
    groups = [range(i, min(i + step, len(base))) for i in range(0, len(base), step)]
    b = [sum(base[j] for j in g) for g in groups]
    c = [sum(cur[j] for j in g) for g in groups]
    names = [labels[g[0]] if step == 1 else f"{labels[g[0]]} .. {labels[g[-1]]}" for g in groups]
    top = max(max(b), max(c), 1e-12)
    width, height, slot = 720, 160, 720 / len(groups)
    rects = []
    for i, (pb, pc, name) in enumerate(zip(b, c, names, strict=True)):
        for k, (p, colour) in enumerate(((pb, _BASE), (pc, _CUR))):
            h = height * p / top
            x = i * slot + k * slot / 2
            rects.append(
                f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{max(slot / 2 - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(name)}: '
                f"{'baseline' if k == 0 else 'current'} {p:.3%}</title></rect>"
            )
    return (
        f'<svg width="{width}" height="{height}" role="img" '
        f'aria-label="distribution of {escape(f.name)}">{"".join(rects)}</svg>'
    )


def _warnings_box(warnings: list[str]) -> str:
    """Methods the baseline asked for but that did not run: first thing on the page."""
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return (
        f'<div class="warn" role="alert"><h2>Warnings ({len(warnings)})</h2><ul>{items}</ul></div>'
    )


def _malformed_table(malformed: dict[str, int]) -> str:
    """Rejected input per kind: a reader sees what was wrong, not just how much."""
    total = sum(malformed.values())
    if not total:
        return '<h2>Malformed input (0)</h2><p class="ok">Every record was read.</p>'
    rows = "".join(
        f"<tr><td>{escape(kind)}</td><td>{count}</td></tr>"
        for kind, count in sorted(malformed.items())
    )
    return (
        f"<h2>Malformed input ({total})</h2>"
        f"<table><tr><th>kind</th><th>records or rows</th></tr>{rows}</table>"
    )


def _skipped_box(summary: dict[str, Any]) -> str:
    """An insufficient window is not a clean one: say so before anything else."""
    return (
        '<div class="warn" role="status"><h2>Skipped: insufficient data</h2>'
        f"<p>{escape(str(summary.get('rows_analysed')))} rows analysed, fewer than the "
        f"{escape(str(summary.get('min_records')))} required; no drift checks ran. "
        "This is not a result of no drift.</p></div>"
    )


def render_report(
    summary: dict[str, Any], violations: list[dict[str, str]], features: list[FeatureResult]
) -> str:
    warnings = [str(w) for w in summary.get("warnings") or []]
    malformed = {str(k): int(v) for k, v in (summary.get("malformed") or {}).items()}
    rows = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
        for k, v in summary.items()
        if k not in ("warnings", "malformed")  # each shown in its own section
    )
    vrows = "".join(
        f"<tr><td>{escape(v['feature_name'])}</td><td>{escape(v['constraint_check_type'])}</td>"
        f"<td>{escape(v['description'])}</td></tr>"
        for v in violations
    )
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>driftgate report {escape(str(summary.get('window_end', '')))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>driftgate drift report</h1>",
        *([_skipped_box(summary)] if summary.get("status") == "insufficient_data" else []),
        *([_warnings_box(warnings)] if warnings else []),
        f"<table>{rows}</table>",
        _malformed_table(malformed),
        f"<h2>Violations ({len(violations)})</h2>",
        f"<table><tr><th>feature</th><th>check</th><th>description</th></tr>{vrows}</table>"
        if violations
        else '<p class="ok">No violations.</p>',
        "<h2>Features</h2>",
        f'<p class="legend"><span style="background:{_BASE}"></span>baseline'
        f'<span style="background:{_CUR}"></span>current window</p>',
    ]
    for f in features:
        drift = "n/a" if f.drift is None else f"{f.drift:.4f} (threshold {f.threshold:.4g})"
        flag = (
            "bad"
            if f.drift is not None and f.threshold is not None and f.drift > f.threshold
            else "ok"
        )
        parts.append(
            f"<h3>{escape(f.name)} <small>({escape(f.inferred_type)})</small></h3>"
            f"<p>present {f.present}, missing {f.missing}, completeness {f.completeness:.2%}, "
            f'drift <span class="{flag}">{escape(drift)}</span></p>{_bars(f)}'
        )
    parts.append("</body></html>")
    return "\n".join(parts)
