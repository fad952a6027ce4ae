"""Turn the children's measurements into rates, ratios and the Markdown tables."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.child import FLOORS

TOOLS = ("driftgate", "evidently", *FLOORS)
ONE_THREAD = " (1 thread)"  # label suffix of a run pinned to one CPU
# driftgate's phases (run_monitor's ``phases``), in the order a run goes through them.
PHASES = ("baseline_s", "list_s", "parse_s", "evaluate_s", "report_s", "outputs_s")
FLOOR_FACTOR = 1.5  # the monitor's time at most this times the fastest floor's
THROUGHPUT_FACTOR = 10  # at least this times Evidently's rows per second (aim: 20)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def detected(window: dict[str, Any]) -> bool:
    """A drift flag, or a failed run (a crash alerts someone too: counted for the tool)."""
    return bool(window["outcome"].get("detected")) or window["error"] is not None


def performance_rows(runs: dict[tuple[str, int], dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for (tool, size), run in sorted(runs.items(), key=lambda item: (item[0][1], item[0][0])):
        ok = [w for w in run["windows"] if w["error"] is None]
        wall = _median([w["wall_s"] for w in ok])
        compute = _median([w["phases"]["compute_s"] for w in ok if "compute_s" in w["phases"]])
        parse = _median([w["phases"]["parse_s"] for w in ok if "parse_s" in w["phases"]])
        rows.append(
            {
                "tool": tool,
                "size": size,
                "windows": len(run["windows"]),
                "errors": len(run["windows"]) - len(ok),
                "median_wall_s": wall,
                "median_parse_s": parse,
                "median_compute_s": compute,
                "rows_per_s": size / wall if wall == wall and wall > 0 else float("nan"),
                "max_rss_mb": run["max_rss_mb"],
                "rss_after_setup_mb": run["rss_after_setup_mb"],
                "setup_s": run["setup_s"],
                "phases": {
                    name: _median([w["phases"][name] for w in ok])
                    for name in PHASES
                    if ok and all(name in w["phases"] for w in ok)
                },
            }
        )
    return rows


def detection_rows(runs: dict[tuple[str, int], dict[str, Any]]) -> list[dict[str, Any]]:
    """Detection rate over drifted windows and false-positive rate over controls."""
    rows = []
    for tool in ("driftgate", "evidently"):
        windows = [w for (t, _), run in runs.items() if t == tool for w in run["windows"]]
        if not windows:
            continue
        drifted = [w for w in windows if w["kind"] != "none"]
        controls = [w for w in windows if w["kind"] == "none"]
        hits = sum(detected(w) for w in drifted)
        false = sum(detected(w) for w in controls)
        per_kind: dict[str, str] = {}
        for kind in sorted({w["kind"] for w in windows}):
            group = [w for w in windows if w["kind"] == kind]
            errors = sum(w["error"] is not None for w in group)
            skipped = sum(w["outcome"].get("status") == "insufficient_data" for w in group)
            note = f" ({errors} by error)" if errors else ""
            note += f" ({skipped} insufficient data)" if skipped else ""
            per_kind[kind] = f"{sum(detected(w) for w in group)}/{len(group)}{note}"
        rows.append(
            {
                "tool": tool,
                "detected": hits,
                "drifted": len(drifted),
                "false_positives": false,
                "controls": len(controls),
                "detection_rate": hits / len(drifted) if drifted else float("nan"),
                "false_positive_rate": false / len(controls) if controls else float("nan"),
                "per_kind": per_kind,
            }
        )
    return rows


def _by(rows: list[dict[str, Any]], tool: str, size: int) -> dict[str, Any] | None:
    return next((r for r in rows if r["tool"] == tool and r["size"] == size), None)


def fastest_floor(perf: list[dict[str, Any]], size: int, suffix: str = "") -> dict[str, Any] | None:
    """The floor with the smallest median time at ``size`` (runs with ``suffix``)."""
    floors = [r for f in FLOORS if (r := _by(perf, f + suffix, size)) and r["median_wall_s"] > 0]
    return min(floors, key=lambda r: r["median_wall_s"], default=None)


def paired_rows(paired: dict[tuple[str, int], dict[str, Any]]) -> list[dict[str, Any]]:
    """Per size and mode, the paired runs (``tool_paired``): the median over windows of
    driftgate's time over the fastest floor's, each ratio taken within one window."""
    rows = []
    for (mode, size), run in sorted(paired.items(), key=lambda item: (item[0][1], item[0][0])):
        ok = [w for w in run["windows"] if w["error"] is None]
        ratios = [w["outcome"]["ratio"] for w in ok]
        floors = [w["outcome"]["fastest_floor"] for w in ok]
        kinds = sorted({w.get("kind", "") for w in ok})
        rows.append(
            {
                "mode": mode,
                "size": size,
                "windows": len(ok),
                "errors": len(run["windows"]) - len(ok),
                "median_ratio": _median(ratios),
                "max_ratio": max(ratios, default=float("nan")),
                "fastest_floor": max(sorted(set(floors)), key=floors.count) if floors else "",
                # Which kinds of window make the largest ratios (drift changes the path a
                # window takes, e.g. another schema).
                "by_kind": {
                    kind: _median([w["outcome"]["ratio"] for w in ok if w.get("kind", "") == kind])
                    for kind in kinds
                },
            }
        )
    return rows


def target_rows(
    perf: list[dict[str, Any]],
    detect: list[dict[str, Any]],
    paired: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it was met; the
    speed targets for the default runs and for the one-thread runs when measured, target 2
    both across the tools' own processes and paired in one (``paired_rows``)."""
    out = []
    sizes = sorted({r["size"] for r in perf})
    for suffix in ("", ONE_THREAD):
        for size in sizes:
            dg, ev = _by(perf, "driftgate" + suffix, size), _by(perf, "evidently" + suffix, size)
            if dg and ev:
                ratio = dg["rows_per_s"] / ev["rows_per_s"]
                out.append(
                    {
                        "target": f"throughput >= {THROUGHPUT_FACTOR}x Evidently"
                        f" at {size:,}{suffix}",
                        "value": f"{ratio:.1f}x",
                        "met": ratio >= THROUGHPUT_FACTOR,
                    }
                )
            floor = fastest_floor(perf, size, suffix)
            if dg and floor:
                ratio = dg["median_wall_s"] / floor["median_wall_s"]
                out.append(
                    {
                        "target": f"time <= {FLOOR_FACTOR}x fastest parse-only floor"
                        f" at {size:,}{suffix}",
                        "value": f"{ratio:.2f}x ({floor['tool'].removesuffix(suffix)})",
                        "met": ratio <= FLOOR_FACTOR,
                    }
                )
            pair = next(
                (p for p in paired or [] if p["size"] == size and p["mode"] == "paired" + suffix),
                None,
            )
            if pair and pair["windows"]:
                out.append(
                    {
                        "target": f"time <= {FLOOR_FACTOR}x fastest parse-only floor"
                        f" at {size:,}{suffix}, paired in one process",
                        "value": f"{pair['median_ratio']:.2f}x (median of {pair['windows']}"
                        f" windows; {pair['fastest_floor']})",
                        "met": pair["median_ratio"] <= FLOOR_FACTOR,
                    }
                )
    largest = sizes[-1] if sizes else None
    if largest is not None:
        dg, ev = _by(perf, "driftgate", largest), _by(perf, "evidently", largest)
        if dg and ev:
            ratio = dg["max_rss_mb"] / ev["max_rss_mb"]
            out.append(
                {
                    "target": f"peak memory <= 1/3 of Evidently at {largest:,}",
                    "value": f"{ratio:.2f} of it",
                    "met": ratio <= 1 / 3,
                }
            )
    dg_d = next((r for r in detect if r["tool"] == "driftgate"), None)
    ev_d = next((r for r in detect if r["tool"] == "evidently"), None)
    if dg_d and ev_d:
        out.append(
            {
                "target": "detection rate >= Evidently's",
                "value": f"{dg_d['detection_rate']:.2f} vs {ev_d['detection_rate']:.2f}",
                "met": dg_d["detection_rate"] >= ev_d["detection_rate"],
            }
        )
        out.append(
            {
                "target": "false-positive rate <= Evidently's",
                "value": f"{dg_d['false_positive_rate']:.2f} vs {ev_d['false_positive_rate']:.2f}",
                "met": dg_d["false_positive_rate"] <= ev_d["false_positive_rate"],
            }
        )
    return out


def _f(x: float, digits: int = 2) -> str:
    return "n/a" if x != x else f"{x:,.{digits}f}"


def markdown(result: dict[str, Any]) -> str:
    perf, detect, targets = result["performance"], result["detection"], result["targets"]
    lines = [
        "# driftgate drift benchmark",
        "",
        f"Machine: {result['machine']}",
        "",
        f"Revision: {result.get('revision', 'unknown')}",
        "",
    ]
    lines += [
        "## Throughput and memory (median per window; peak = the process's max RSS)",
        "",
        "| size | tool | windows | wall s | parse s | compute s | rows/s | peak MB | "
        "MB after imports |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in perf:
        err = f" ({r['errors']} failed)" if r["errors"] else ""
        lines.append(
            f"| {r['size']:,} | {r['tool']} | {r['windows']}{err} | {_f(r['median_wall_s'])} | "
            f"{_f(r['median_parse_s'])} | {_f(r['median_compute_s'])} | "
            f"{_f(r['rows_per_s'], 0)} | {_f(r['max_rss_mb'], 0)} | "
            f"{_f(r['rss_after_setup_mb'], 0)} |"
        )
    lines += _phase_section(perf)
    lines += _paired_section(result.get("paired") or [])
    lines += ["", "## Detection (all sizes pooled)", ""]
    kinds = sorted({k for r in detect for k in r["per_kind"]})
    lines.append("| tool | detection rate | false-positive rate | " + " | ".join(kinds) + " |")
    lines.append("| --- | ---: | ---: |" + " ---: |" * len(kinds))
    for r in detect:
        cells = " | ".join(r["per_kind"].get(k, "") for k in kinds)
        lines.append(
            f"| {r['tool']} | {r['detected']}/{r['drifted']} = {_f(r['detection_rate'])} | "
            f"{r['false_positives']}/{r['controls']} = {_f(r['false_positive_rate'])} | {cells} |"
        )
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | ---: | --- |"]
    for t in targets:
        lines.append(f"| {t['target']} | {t['value']} | {'yes' if t['met'] else 'NO'} |")
    lines += _extra_sections(result)
    lines += ["", "## Tests each side used", ""]
    for tool, facts in result["facts"].items():
        lines.append(f"- {tool}: " + "; ".join(f"{k}: {v}" for k, v in sorted(facts.items())))
    lines.append("")
    return "\n".join(lines)


def _phase_section(perf: list[dict[str, Any]]) -> list[str]:
    """Where driftgate's window time goes, against the fastest floor of the same run:
    the parse alone next to the floor (the same work plus the monitor's checks and
    statistics) and the rest, which costs the same whatever the window's size."""
    timed = [r for r in perf if r["tool"].startswith("driftgate") and r.get("phases")]
    if not timed:
        return []
    names = [n.removesuffix("_s") for n in PHASES]
    lines = [
        "",
        "## Where driftgate's time goes (median ms per window; each phase's own median)",
        "",
        "| size | tool | " + " | ".join(names) + " | total | fastest floor | "
        "parse / floor | total / floor |",
        "| ---: | --- |" + " ---: |" * (len(names) + 5),
    ]
    for r in timed:
        suffix = r["tool"].removeprefix("driftgate")
        floor = fastest_floor(perf, r["size"], suffix)
        floor_s = floor["median_wall_s"] if floor else float("nan")
        cells = " | ".join(_f(r["phases"].get(n, float("nan")) * 1000, 1) for n in PHASES)
        parse = r["phases"].get("parse_s", float("nan"))
        lines.append(
            f"| {r['size']:,} | {r['tool']} | {cells} | {_f(r['median_wall_s'] * 1000, 1)} | "
            f"{_f(floor_s * 1000, 1)} | {_f(parse / floor_s)}x | "
            f"{_f(r['median_wall_s'] / floor_s)}x |"
        )
    return lines


def _paired_section(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    lines = [
        "",
        "## driftgate against the fastest floor, paired in one process",
        "",
        "Each window: driftgate and the fast floors back to back, 3 rounds, medians; the "
        "ratio is taken per window, so a slow spell of the host hits both sides.",
        "",
        "| size | mode | windows | median ratio | largest ratio | fastest floor (most windows) |",
        "| ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        err = f" ({r['errors']} failed)" if r["errors"] else ""
        lines.append(
            f"| {r['size']:,} | {r['mode']} | {r['windows']}{err} | {_f(r['median_ratio'])}x | "
            f"{_f(r['max_ratio'])}x | {r['fastest_floor']} |"
        )
    kinds = sorted({k for r in rows for k in r.get("by_kind", {})})
    if kinds:
        lines += [
            "",
            "Median ratio by kind of window (a kind's windows at that size):",
            "",
            "| size | mode | " + " | ".join(kinds) + " |",
            "| ---: | --- |" + " ---: |" * len(kinds),
        ]
        for r in rows:
            cells = [r["by_kind"].get(k) for k in kinds]
            shown = [f"{_f(c)}x" if c is not None else "" for c in cells]
            lines.append(f"| {r['size']:,} | {r['mode']} | " + " | ".join(shown) + " |")
    return lines


def _extra_sections(result: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    variants = result.get("payload_variants") or []
    if variants:
        lines += [
            "",
            "## Hidden-cost paths (driftgate, same rows, other payload shapes)",
            "",
            "| payload | rows | wall s | rows/s | MB/s | vs plain CSV |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        plain = next((v for v in variants if v["payload"] == "csv"), None)
        for v in variants:
            slower = (
                v["wall_s"] / plain["wall_s"] if plain and plain["wall_s"] > 0 else float("nan")
            )
            rate = v["rows"] / v["wall_s"] if v["wall_s"] else float("nan")
            lines.append(
                f"| {v['payload']} | {v['rows']:,} | {_f(v['wall_s'])} | {_f(rate, 0)} | "
                f"{_f(_mb_per_s(v))} | {_f(slower)}x |"
            )
    package = result.get("lambda_package")
    if package:
        lines += [
            "",
            "## Lambda package",
            "",
            f"- drift_monitor.zip unzipped: {package['unzipped_mb']:.0f} MB of Lambda's 250 MB"
            f" limit, built for {package['platform']}",
            f"- cold import of `drift_monitor.lambda_handler` in a fresh interpreter: "
            f"{package['import_s']:.2f} s median of {package['import_runs']} (this machine's "
            "Python and libraries; Lambda's own init time is not measured here)",
        ]
    sharded = result.get("sharded_model")
    if sharded:
        lines += _sharded_section(sharded, variants)
    return lines


def _mb_per_s(variant: dict[str, Any]) -> float:
    """Capture bytes a second (what the router's DRIFTGATE_BYTES_PER_SECOND means)."""
    wall = variant.get("wall_s") or 0.0
    return variant.get("bytes", float("nan")) / wall / 1e6 if wall > 0 else float("nan")


def _sharded_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| rows | capture GB | router estimate s | route | instances | modelled wall s | merge s |",
        "| ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for m in rows:
        lines.append(
            f"| {m['rows']:,} | {_f(m['gb'], 1)} | {_f(m['estimated_s'], 0)} | {m['route']} | "
            f"{m['instances']} | {_f(m['wall_s'], 0)} | {_f(m['merge_s'])} |"
        )
    return lines


def rate_sentence(deployed: float, slow: list[dict[str, Any]]) -> str:
    """The deployed router rate (MB/s) against the slow payload paths measured."""
    worst = min(_mb_per_s(v) for v in slow)
    measured = (
        f"the slowest payload path measured in this run ({worst:.0f} MB/s, "
        + ", ".join(f"{v['payload']} {_mb_per_s(v):.0f} MB/s" for v in slow)
        + "; one thread)"
    )
    if deployed <= worst:
        return (
            f"The deployed rate ({deployed:.0f} MB/s) is at or below {measured}, so a window "
            "of such capture that the router keeps in the Lambda is estimated no faster than "
            "it runs."
        )
    return (
        f"The deployed rate ({deployed:.0f} MB/s) is ABOVE {measured}, so such a window runs "
        f"up to {deployed / worst:.2f}x its estimate; the router keeps a window in the Lambda "
        "only when the estimate is at most half the timeout."
    )


def _sharded_section(sharded: dict[str, Any], variants: list[dict[str, Any]]) -> list[str]:
    router = sharded["router"]
    deployed = router["bytes_per_second"] / 1e6
    lines = [
        "",
        "## Past one Lambda: the sharded Processing path (modelled from measurements)",
        "",
        f"Measured: {sharded['rows_per_s']:,.0f} rows/s per instance (driftgate, one thread, "
        f"{sharded['measured_at']:,} rows, {sharded['bytes_per_row']:.0f} capture bytes a "
        f"row: {sharded['measured_bytes_per_second'] / 1e6:.0f} MB/s); merge "
        f"{sharded['merge_s_per_shard']:.3f} s per shard state plus {sharded['finish_s']:.2f} s"
        " to evaluate and write. Assumed: job start-up "
        f"{sharded['startup_s']:.0f} s (provisioning and image pull; not measurable without an "
        "account). Modelled wall = one Lambda's time when routed there; else start-up + the "
        "measured time / instances + the merge.",
        "",
        f"Deployed router ({router['source']}): {deployed:.0f} MB/s, Lambda timeout "
        f"{router['timeout_s']:.0f} s (Processing past half of it), at most "
        f"{router['max_instances']} instances (ProcessingMaxInstances default):",
        "",
        *_sharded_table(sharded["rows"]),
        "",
        "The same router told the measured rate instead:",
        "",
        *_sharded_table(sharded["calibrated"]),
    ]
    slow = [v for v in variants if v["payload"] in ("json", "quoted_csv") and v.get("bytes")]
    if slow:
        lines += ["", rate_sentence(deployed, slow)]
    return lines
