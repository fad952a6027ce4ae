"""Self-contained HTML report of one run: the verdict first, the features ranked by how
far they are past their limit, then each feature's distributions on a value axis.

No script, nothing fetched (inline CSS and SVG); prints on A4. Everything that comes
from captured data or the baseline (feature names, categories, malformed lines) is
escaped by ``report_svg.text``. Past ``DETAIL_LIMIT`` features only the ranked table
row is drawn, so the file stays small at hundreds of features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from drift_monitor.accumulators import OTHER
from drift_monitor.evaluate import FeatureResult
from drift_monitor.report_rank import (
    DRIFT,
    NOISE,
    NOT_COMPARED,
    NOT_EVALUATED,
    OK,
    TYPE_WORDS,
    UNCHECKED,
    VIOLATION,
    FeatureView,
    largest_share_change,
    rank_features,
    unseen_values,
    window_mean,
)
from drift_monitor.report_svg import (
    ALERT,
    BASE_FILL,
    BASE_LINE,
    WINDOW_LINE,
    categories_svg,
    category_rows,
    cdf_svg,
    distribution_svg,
    largest_gap,
    num,
    pct,
    sparkline,
    text,
)
from drift_monitor.window import parse_time

DETAIL_LIMIT = 25  # features drawn in full; the rest keep their table row
SPARK_LIMIT = 100  # table rows with a thumbnail
NAME_CHARS = 60
EXAMPLE_CHARS = 160

_STYLE = f"""
@page{{size:A4;margin:12mm}}
*{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
body{{font:13px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:66em;color:#222;padding:0 1em}}
h1{{font-size:1.4em;margin:0 0 .3em}}h2{{font-size:1.15em;margin:1.4em 0 .4em}}
h3{{font-size:1em;margin:1em 0 .2em}}
table{{border-collapse:collapse;margin:.4em 0;width:100%}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:middle}}
th{{background:#f1f1f1}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}
thead{{display:table-header-group}}tr,figure,.feature{{break-inside:avoid}}
.verdict{{border:3px solid #999;padding:.5em .9em;margin:.5em 0 1em}}
.verdict p{{margin:.2em 0}}.verdict .head{{font-size:1.35em;font-weight:bold}}
.verdict.bad{{border-color:{ALERT}}}.verdict.ok{{border-color:#009E73}}
.verdict.skip{{border-color:#777;border-style:dashed}}
.facts th{{width:12em;font-weight:normal;color:#555;background:none}}
.facts td{{word-break:break-all}}
.st{{font-weight:bold}}.st small{{font-weight:normal;white-space:normal;overflow-wrap:anywhere}}
small{{white-space:nowrap}}td.stc{{min-width:10em}}.ft{{font-size:12px}}.st.bad{{color:{ALERT}}}
.st.noise{{color:#6a4c00}}.st.ok{{color:#00664a}}.st.na{{color:#555}}
.warn{{border:2px solid #777;background:#f7f7f7;padding:0 1em;margin:1em 0}}
.key{{display:inline-block;width:14px;height:10px;margin:0 4px 0 10px;vertical-align:middle}}
figure{{display:inline-block;margin:.2em 1em .2em 0}}
figcaption{{font-size:.9em;color:#444;max-width:340px}}
code{{font-size:.9em;word-break:break-all;background:#f4f4f4;padding:0 2px}}
.muted{{color:#555}}
@media print{{body{{margin:0;max-width:none;font-size:11px}}
.ft{{font-size:9.5px}}.ft td,.ft th{{padding:2px 3px}}.ft svg{{width:60px;height:16px}}
td.stc{{min-width:7em}}
a{{color:inherit;text-decoration:none}}}}
"""

_STATUS_CLASS = {
    DRIFT: "bad",
    VIOLATION: "bad",
    NOISE: "noise",
    UNCHECKED: "noise",
    OK: "ok",
    NOT_COMPARED: "na",
    NOT_EVALUATED: "na",
}
_STATUS_MARK = {DRIFT: "\u2716 ", VIOLATION: "\u2716 ", NOISE: "\u25cb ", OK: "\u2714 "}

MALFORMED_MEANING = {
    "invalid_json": "line is not JSON",
    "missing_capture_data": "no captureData.endpointInput",
    "missing_inference_time": "no eventMetadata.inferenceTime",
    "unknown_content_type": "content type is not CSV or JSON",
    "undecodable_payload": "data cannot be decoded with its encoding",
    "too_few_columns": "row has fewer columns than the baseline",
    "too_many_columns": "row has more columns than the baseline",
    "unknown_field": "JSON object has a key that is not a baseline feature",
}


@dataclass(frozen=True)
class ReportContext:
    """What the run itself does not know but the reader needs (the stage passes it)."""

    capture_uri: str = ""
    baseline_statistics_uri: str = ""
    baseline_constraints_uri: str = ""
    model_package_arn: str = ""
    model_package_version: str = ""
    period_minutes: int | None = None


_PERIOD_WORDS = {15: "every 15 minutes", 60: "hourly", 1440: "daily"}


def human_window(summary: dict[str, Any], context: ReportContext) -> str:
    start, end = summary.get("window_start"), summary.get("window_end")
    if not start or not end:
        where = f" under {context.capture_uri}" if context.capture_uri else ""
        return f"not given: every capture file{where}"
    a, b = parse_time(str(start)), parse_time(str(end))
    minutes = int((b - a).total_seconds() // 60)
    length = f"{minutes} minutes" if minutes < 120 else f"{minutes / 60:g} hours"
    right = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M")
    return f"{a:%Y-%m-%d %H:%M} \u2013 {right} UTC ({length}, end exclusive)"


def _given(value: object) -> str:
    raw = "" if value is None else str(value).strip()
    return text(raw) if raw else '<span class="muted">not given</span>'


def _verdict(
    summary: dict[str, Any], views: Sequence[FeatureView], violations: Sequence[dict[str, str]]
) -> str:
    total = len(views)
    rows = int(summary.get("rows_analysed") or 0)
    malformed = int(summary.get("malformed_total") or 0)
    drifted = [v for v in views if v.status == DRIFT]
    other = [v for v in violations if v["constraint_check_type"] != "baseline_drift_check"]
    other_kinds = sorted({v["constraint_check_type"] for v in other})
    if summary.get("status") == "insufficient_data":
        css = "skip"
        if rows == 0 and malformed:
            head = "Drift: not evaluated \u2014 no readable rows"
            why = f"All {malformed} inputs were malformed and rejected (see Malformed input)."
        else:
            head = "Drift: not evaluated \u2014 insufficient data"
            why = f"{rows} rows analysed, fewer than the {summary.get('min_records')} required."
        detail = f"{why} No checks ran; this is not a \u201cno drift\u201d result."
    elif drifted:
        css = "bad"
        head = f"Drift: yes \u2014 {len(drifted)} of {total} features drifted"
        names = ", ".join(text(v.result.name, NAME_CHARS) for v in drifted[:5])
        more = f" and {len(drifted) - 5} more" if len(drifted) > 5 else ""
        detail = f"Drifted: {names}{more}."
    else:
        css = "bad" if other else "ok"
        if rows == 0:
            head = "Drift: not computed \u2014 no row had the baseline's columns"
        else:
            head = f"Drift: no \u2014 0 of {total} features drifted"
        noisy = sum(v.status == NOISE for v in views)
        detail = (
            f"{noisy} feature{'s' if noisy != 1 else ''} over threshold but within sampling "
            "noise (not a violation)."
            if noisy
            else "Every compared feature is within its limit."
        )
    if other and summary.get("status") != "insufficient_data":
        detail += (
            f" {len(other)} other violation{'s' if len(other) != 1 else ''}: "
            f"{text(', '.join(other_kinds))}."
        )
    facts = (
        ""
        if css == "skip"
        else f"<p>{rows} rows analysed, {malformed} malformed inputs rejected.</p>"
    )
    return (
        f'<div class="verdict {css}" role="status"><p class="head">{head}</p>'
        f"<p>{detail}</p>{facts}</div>"
    )


def _facts(summary: dict[str, Any], context: ReportContext) -> str:
    schedule = str(summary.get("schedule") or "").strip()
    period = _PERIOD_WORDS.get(context.period_minutes or 0)
    schedule_text = _given(schedule) + (f" ({period})" if schedule and period else "")
    version = context.model_package_version.strip()
    arn = context.model_package_arn.strip()
    package = (
        (f"version {text(version)}" if version else "")
        + (" \u2014 " if version and arn else "")
        + (text(arn) if arn else "")
    ) or _given("")
    rows = [
        ("Window", text(human_window(summary, context))),
        ("Endpoint", _given(summary.get("endpoint"))),
        ("Schedule", schedule_text),
        ("Model package", package),
        ("Baseline statistics", _given(context.baseline_statistics_uri)),
        ("Baseline constraints", _given(context.baseline_constraints_uri)),
        ("Distance", text(summary.get("distance") or "model-monitor")),
        (
            "Input",
            f"{summary.get('records', 0)} capture records, {summary.get('rows_analysed', 0)} "
            f"rows analysed, {summary.get('malformed_total', 0)} malformed; at least "
            f"{summary.get('min_records', 1)} rows required",
        ),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="facts">{body}</table>'


def _warnings_box(warnings: list[str]) -> str:
    """Methods the baseline asked for but that did not run."""
    items = "".join(f"<li>{text(w)}</li>" for w in warnings)
    return (
        f'<div class="warn" role="alert"><h2>Warnings ({len(warnings)})</h2><ul>{items}</ul></div>'
    )


def _status_cell(view: FeatureView) -> str:
    mark = _STATUS_MARK.get(view.status, "")
    others = [c for c in view.checks if c != "baseline_drift_check"]
    also = "".join(f"<br><small>{text(check)}</small>" for check in others)
    return f'<span class="st {_STATUS_CLASS[view.status]}">{mark}{text(view.status)}{also}</span>'


def _drift_cell(view: FeatureView) -> str:
    r = view.result
    if r.drift is None:
        return "not computed"
    past = f"<br><small>{view.score:.2f}\u00d7 limit</small>" if view.limit else ""
    return f"{r.drift:.4f}{past}"


def _noise_cell(view: FeatureView, distance: str) -> str:
    r = view.result
    if r.noise_bound is not None:
        return f"{r.noise_bound:.4f}"
    if r.drift is None:
        return "not computed"
    if not view.is_numeric:
        return "not used (categorical)"
    return "not used (Simple)" if distance in ("model-monitor", "ks") else f"not used ({distance})"


def _completeness_cell(r: FeatureResult) -> str:
    base = "not given" if r.baseline_completeness is None else pct(r.baseline_completeness)
    total = r.present + r.missing
    window = pct(r.completeness) if total else "no rows"
    return f"{window}<br><small>baseline {base}</small>"


def _change_cell(view: FeatureView) -> str:
    """Numeric: baseline mean -> window mean; categorical: the largest share change."""
    r = view.result
    if view.is_numeric:
        mean = window_mean(r)
        if mean is None and r.baseline_mean is None:
            return "not computed"
        shown = num(mean) if mean is not None else "no values"
        return f"<small>mean</small><br>{num(r.baseline_mean)} \u2192 {shown}"
    change = largest_share_change(r)
    if change is None:
        return "not computed"
    label = text(change.value, 30) + (" (unseen)" if change.unseen else "")
    return f"<small>{label}</small><br>{pct(change.baseline)} → {pct(change.window)}"


def _change_line(view: FeatureView) -> str:
    r = view.result
    if view.is_numeric:
        mean = window_mean(r)
        shown = num(mean) if mean is not None else "no values"
        return f"Mean {num(r.baseline_mean)} in the baseline, {shown} in the window."
    change = largest_share_change(r)
    if change is None:
        return ""
    label = text(change.value, 60) + (" (unseen in the baseline)" if change.unseen else "")
    return f"Largest share change: {label}, {pct(change.baseline)} → {pct(change.window)}."


def _features_table(views: Sequence[FeatureView], distance: str, linked: bool) -> str:
    head = (
        "<thead><tr><th>#</th><th>feature</th><th>type</th><th>drift</th><th>threshold</th>"
        "<th>noise bound</th><th>status</th><th>completeness</th><th>baseline \u2192 window</th>"
        "<th>plot</th></tr></thead>"
    )
    rows = []
    for rank, view in enumerate(views, start=1):
        r = view.result
        name = text(r.name, NAME_CHARS)
        if linked and rank <= DETAIL_LIMIT:  # the detail section exists
            name = f'<a href="#f{view.index}">{name}</a>'
        plot = sparkline(r, view.is_numeric) if rank <= SPARK_LIMIT else "not drawn"
        threshold = "not computed" if r.threshold is None else f"{r.threshold:.4g}"
        rows.append(
            f"<tr><td class='n'>{rank}</td><td>{name}</td>"
            f"<td>{TYPE_WORDS.get(r.inferred_type, text(r.inferred_type))}</td>"
            f"<td class='n'>{_drift_cell(view)}</td><td class='n'>{threshold}</td>"
            f"<td class='n'>{_noise_cell(view, distance)}</td>"
            f"<td class='stc'>{_status_cell(view)}</td>"
            f"<td class='n'>{_completeness_cell(r)}</td><td>{_change_cell(view)}</td>"
            f"<td>{plot}</td></tr>"
        )
    return f"<table class='ft'>{head}<tbody>{''.join(rows)}</tbody></table>"


def _legend() -> str:
    return (
        '<p class="muted"><span class="key" style="background:'
        f'{BASE_FILL};border:1px solid {BASE_LINE}"></span>baseline (filled bars, solid line)'
        f'<span class="key" style="background:{WINDOW_LINE}"></span>this window (orange '
        "line, dashed in the CDF). Status: \u2716 drift / violation (the only red), "
        "\u25cb over threshold but within sampling noise (Robust check: not a violation), "
        "\u2714 ok. Ranked by drift \u00f7 limit (the larger of threshold and noise bound); "
        "features with violations first.</p>"
    )


def _violations_table(violations: Sequence[dict[str, str]], insufficient: bool) -> str:
    if not violations:
        said = "No checks ran (insufficient data)." if insufficient else "No violations."
        return f"<h2>Violations (0)</h2><p>{said}</p>"
    rows = "".join(
        f"<tr><td>{text(v['feature_name'], NAME_CHARS)}</td>"
        f"<td>{text(v['constraint_check_type'])}</td><td>{text(v['description'], 400)}</td></tr>"
        for v in violations
    )
    return (
        f"<h2>Violations ({len(violations)})</h2><table><thead><tr><th>feature</th>"
        f"<th>check</th><th>description</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _malformed_table(malformed: dict[str, int], examples: dict[str, str]) -> str:
    """Rejected input per kind with one example: what was wrong, not just how much."""
    total = sum(malformed.values())
    if not total:
        return "<h2>Malformed input (0)</h2><p>Every capture record was read.</p>"
    rows = "".join(
        f"<tr><td>{text(kind)}</td><td class='n'>{count}</td>"
        f"<td>{text(MALFORMED_MEANING.get(kind, ''))}</td>"
        f"<td>{_example(examples.get(kind))}</td></tr>"
        for kind, count in sorted(malformed.items())
    )
    return (
        f"<h2>Malformed input ({total})</h2><table><thead><tr><th>kind</th><th>count</th>"
        f"<th>meaning</th><th>first example (truncated)</th></tr></thead><tbody>{rows}</tbody>"
        "</table>"
    )


def _example(line: str | None) -> str:
    if not line:
        return '<span class="muted">not kept</span>'
    return f"<code>{text(line, EXAMPLE_CHARS)}</code>"


def _missing_line(r: FeatureResult) -> str:
    total = r.present + r.missing
    if not total:
        return "No rows in the window."
    share = r.missing / total
    return f"{r.present} present, {r.missing} missing ({pct(share)} of rows)."


def _numeric_detail(view: FeatureView, distance: str) -> str:
    r = view.result
    gap = largest_gap(r)
    is_distance = distance in ("model-monitor", "ks")
    gap_text = ""
    if gap is not None:
        i, size = gap
        role = (
            "this is the drift distance (Model Monitor's L-infinity)"
            if is_distance
            else f"the Model Monitor distance; this run used {text(distance)}"
        )
        gap_text = f"Largest gap {size:.4f} at {num(r.edges[i])}: {role}."
    return (
        f"<figure>{distribution_svg(r)}<figcaption>Share of rows per value bin (40 "
        "equal-width bins; baseline quantile bins re-spread at their real widths).</figcaption>"
        f"</figure><figure>{cdf_svg(r, view.status == DRIFT)}<figcaption>Cumulative share "
        f"of rows. {gap_text}</figcaption></figure>"
    )


def _categorical_detail(view: FeatureView) -> str:
    r = view.result
    _, hidden = category_rows(r)
    notes = []
    unseen = unseen_values(r)
    if unseen:
        shown = ", ".join(text(u, 30) for u in unseen[:8])
        more = f" and {len(unseen) - 8} more" if len(unseen) > 8 else ""
        notes.append(f"Values unseen in the baseline: {shown}{more}.")
    if OTHER in r.labels:
        i = r.labels.index(OTHER)
        notes.append(
            f"<code>{OTHER}</code> holds the values folded past 1,000 distinct ones "
            f"({pct(r.current_probs[i])} of window rows)."
        )
    if hidden:
        notes.append(f"{hidden} smaller categories not drawn.")
    return f"<figure>{categories_svg(r)}</figure><p>{' '.join(notes)}</p>"


def _details(views: Sequence[FeatureView], distance: str) -> str:
    parts = ["<h2>Feature details</h2>"]
    for view in views[:DETAIL_LIMIT]:
        r = view.result
        head = (
            f'<h3 id="f{view.index}">{text(r.name, NAME_CHARS)} '
            f"<small>({TYPE_WORDS.get(r.inferred_type, text(r.inferred_type))})</small> "
            f"{_status_cell(view)}</h3><p>{_missing_line(r)} {_change_line(view)}</p>"
        )
        if not r.baseline_probs:
            body = "<p>No distribution to compare (no values in the window or baseline).</p>"
        elif view.is_numeric and r.edges:
            body = _numeric_detail(view, distance)
        elif view.is_numeric:
            body = "<p>The baseline has a single value; no distribution to draw.</p>"
        else:
            body = _categorical_detail(view)
        parts.append(f'<div class="feature">{head}{body}</div>')
    rest = len(views) - DETAIL_LIMIT
    if rest > 0:
        parts.append(
            f"<p>Details are drawn for the first {DETAIL_LIMIT} features of the ranking; the "
            f"other {rest} are in the table above and in statistics.json.</p>"
        )
    return "".join(parts)


def render_report(
    summary: dict[str, Any],
    violations: list[dict[str, str]],
    features: list[FeatureResult],
    context: ReportContext | None = None,
    examples: dict[str, str] | None = None,
) -> str:
    context = context or ReportContext()
    insufficient = summary.get("status") == "insufficient_data"
    views = rank_features(features, violations, insufficient)
    warnings = [str(w) for w in summary.get("warnings") or []]
    malformed = {str(k): int(v) for k, v in (summary.get("malformed") or {}).items()}
    distance = str(summary.get("distance") or "model-monitor")
    endpoint = str(summary.get("endpoint") or "").strip()
    title = f"driftgate drift report \u2014 {endpoint or 'endpoint not given'}"
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{text(title)}, {text(human_window(summary, context))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{text(title)}</h1>",
        _verdict(summary, views, violations),
        *([_warnings_box(warnings)] if warnings else []),
        _facts(summary, context),
        f"<h2>Features ({len(views)}), ranked</h2>",
        _legend(),
        _features_table(views, distance, linked=not insufficient),
        _violations_table(violations, insufficient),
        _malformed_table(malformed, examples or {}),
    ]
    if not insufficient:
        parts.append(_details(views, distance))
    parts.append("</body></html>")
    return "\n".join(parts)
