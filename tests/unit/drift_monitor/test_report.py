"""report.html on known windows: the verdict, the ranking, the statuses in words, no
markup from captured data, and the file's size."""

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from dm_helpers import block, csv_record, record
from report_windows import build

from drift_monitor.distances import ks_critical
from drift_monitor.report import DETAIL_LIMIT, EXAMPLE_CHARS, ReportContext, human_window
from drift_monitor.report_rank import NOISE
from drift_monitor.report_svg import ALERT, equal_width, largest_gap, text

ROW = re.compile(r"<tr><td class='n'>(\d+)</td><td>(?:<a href=\"#f\d+\">)?(.*?)(?:</a>)?</td>")


def ranked_names(html):
    table = html[html.index("<table class='ft'>") : html.index("</table>", html.index("'ft'"))]
    return [name for _, name in ROW.findall(table)]


def verdict(html):
    start = html.index('<div class="verdict')
    return html[start : html.index("</div>", start)]


def body(html):
    """The page without its stylesheet (which names every colour)."""
    return html[html.index("</style>") :]


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.handlers = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "div", "p", "table",
    "thead", "tbody", "tr", "th", "td", "a", "small", "span", "br", "code", "figure",
    "figcaption", "ul", "li", "svg", "path", "rect", "text",
}  # fmt: skip


def test_drifted_window_leads_with_the_verdict_and_ranks_violations_first(tmp_path):
    result, html = build(tmp_path, "drifted")
    head = verdict(html)
    assert "Drift: yes \u2014 2 of 5 features drifted" in head
    assert "Drifted: income, colour." in head
    assert "categorical_values_check" in head and "missing_column_check" in head
    assert html.index('<div class="verdict') < html.index("<table")
    assert ranked_names(html) == ["income", "colour", "age", "score", "plan"]
    drift = {f.name: f.drift for f in result.evaluation.features}
    assert drift["income"] > drift["colour"]  # both violated: larger ratio first
    assert html.count('class="st bad"') == 2 * 2  # table row and detail heading each


def test_verdict_names_window_endpoint_schedule_package_and_baseline(tmp_path):
    _, html = build(tmp_path, "drifted")
    facts = html[html.index('<table class="facts">') :]
    facts = facts[: facts.index("</table>")]
    assert "2026-11-23 15:00 \u2013 16:00 UTC (60 minutes, end exclusive)" in facts
    assert "churn-prod" in facts and "churn-prod-data-quality (hourly)" in facts
    assert (
        "version 7 \u2014 arn:aws:sagemaker:eu-west-1:111122223333:model-package/churn/7" in facts
    )
    assert str(tmp_path / "baseline" / "statistics.json") in facts
    assert str(tmp_path / "baseline" / "constraints.json") in facts
    assert "1500 rows analysed, 3 malformed" in facts
    assert "None" not in html and "<td></td>" not in html


def test_clean_window_says_no_drift_and_uses_no_red(tmp_path):
    _, html = build(tmp_path, "clean")
    assert "Drift: no \u2014 0 of 5 features drifted" in verdict(html)
    assert 'class="verdict ok"' in html
    assert ALERT not in body(html) and "st bad" not in html
    assert "Violations (0)" in html and "Every capture record was read." in html


def test_over_threshold_within_noise_is_not_painted_as_a_violation(tmp_path):
    result, html = build(tmp_path, "noisy")
    score = next(f for f in result.evaluation.features if f.name == "score")
    assert score.threshold < score.drift <= score.noise_bound
    assert score.noise_bound == ks_critical(3000, 60)
    assert result.violations == []
    assert "Drift: no" in verdict(html) and "within sampling noise (not a violation)" in html
    row = html[html.index('<a href="#f2">score</a>') :]
    row = row[: row.index("</tr>")]
    assert NOISE in row and f"{score.noise_bound:.4f}" in row and "st noise" in row
    assert ALERT not in body(html)


def test_insufficient_window_is_not_evaluated_and_not_called_clean(tmp_path):
    _, html = build(tmp_path, "insufficient")
    head = verdict(html)
    assert "Drift: not evaluated \u2014 insufficient data" in head
    assert "40 rows analysed, fewer than the 100 required" in head
    assert "not a \u201cno drift\u201d result" in head
    assert "Drift: no \u2014" not in html and "Feature details" not in html
    assert html.count("not evaluated</span>") == 5
    assert 'href="#' not in html  # no links to detail sections that are not drawn
    assert "No checks ran (insufficient data)." in html and "No violations." not in html


def test_all_malformed_window_shows_each_kind_with_an_escaped_example(tmp_path):
    result, html = build(tmp_path, "malformed")
    assert result.summary["rows_analysed"] == 0
    assert "Drift: not evaluated \u2014 no readable rows" in verdict(html)
    assert "All 35 inputs were malformed" in verdict(html)
    table = html[html.index("Malformed input (35)") :]
    assert "<code>{broken &lt;b&gt;capture&lt;/b&gt;</code>" in table
    assert "missing_inference_time" in table or "missing_capture_data" in table
    assert "<b>" not in html


def test_window_schema_errors_still_get_a_verdict(tmp_path):
    """Every row too short: not insufficient, and the verdict says why nothing drifted."""
    junk = [csv_record([[1, 2]], when=f"2026-11-23T15:{i:02d}:00Z") for i in range(50)]
    result, html = build(tmp_path, "clean", rows=0, junk=junk, min_records=10)
    assert result.status == "completed"
    head = verdict(html)
    assert "Drift: not computed \u2014 no row had the baseline's columns" in head
    assert "missing_column_check" in head and 'class="verdict bad"' in html


HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</td></tr></table><b>x",
    "plan",
    "&amp;",
]


def test_hostile_feature_names_and_payloads_are_text_not_markup(tmp_path):
    hostile_value = "</text></svg><script>alert(2)</script>\x1b[31m"
    junk = [
        record(block("A" * 500, content_type="<iframe src=//evil.example>")),
        csv_record([[40, "1.0", "0.1", hostile_value, "basic"]] * 200),
        csv_record([["<svg onload=alert(3)>", 1]]),
    ]
    _, html = build(tmp_path, "drifted", names=HOSTILE_NAMES, junk=junk)
    parser = Tags()
    parser.feed(html)
    assert parser.tags <= ALLOWED_TAGS, parser.tags - ALLOWED_TAGS
    assert parser.handlers == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html and "\\x1b[31m" in html  # shown, not passed through
    example = re.search(r"<code>([^<]*&lt;iframe[^<]*)</code>", html)
    assert example and len(unescape(example.group(1))) == EXAMPLE_CHARS  # truncated
    assert "evil.example" in example.group(1)
    assert "http" not in html and "<script" not in html and "url(" not in html


def test_text_escapes_quotes_and_cuts_long_values():
    assert text('"><x', 10) == "&quot;&gt;&lt;x"
    assert text("a" * 50, 10) == "a" * 9 + "\u2026"
    assert text("tab\there\nnl") == "tab\there\\x0anl"


@pytest.mark.parametrize(("extra", "limit"), [(15, 200_000), (495, 600_000)])
def test_report_size_stays_bounded(tmp_path, extra, limit):
    result, html = build(tmp_path, "drifted", extra=extra, rows=300)
    size = len(html.encode("utf-8"))
    assert size < limit, size
    features = len(result.evaluation.features)
    assert html.count('<div class="feature">') == min(features, DETAIL_LIMIT)
    if features > DETAIL_LIMIT:
        assert f"other {features - DETAIL_LIMIT} are in the table above" in html
    assert len(ranked_names(html)) == features
    assert "<td></td>" not in html and "None" not in html
    targets = set(re.findall(r'href="#(f\d+)"', html))
    assert targets and targets == set(re.findall(r'<h3 id="(f\d+)"', html))


def test_the_marked_cdf_gap_is_the_drift_distance(tmp_path):
    result, html = build(tmp_path, "drifted")
    income = next(f for f in result.evaluation.features if f.name == "income")
    _, gap = largest_gap(income)
    assert gap == pytest.approx(income.drift, abs=1e-12)
    assert f"Largest gap {income.drift:.4f}" in html and "this is the drift distance" in html


def test_equal_width_bins_keep_the_mass_at_the_real_bin_widths():
    # Two quantile bins: (0, 1] holds 0.5, (1, 9] holds 0.5; on 3 bins of width 3.
    spread = equal_width([0.5, 0.5], [1.0], 0.0, 9.0, 0.0, 9.0, 3)
    assert spread == pytest.approx([0.5 + 0.5 * 2 / 8, 0.5 * 3 / 8, 0.5 * 3 / 8])
    assert sum(spread) == pytest.approx(1.0)


def test_a_run_without_a_window_says_which_files_it_read(tmp_path):
    _, html = build(tmp_path, "clean", window=None)
    assert f"not given: every capture file under {tmp_path / 'capture'}" in html
    assert "None" not in html


def test_human_window_spanning_days():
    summary = {"window_start": "2026-11-23T00:00:00Z", "window_end": "2026-11-24T00:00:00Z"}
    assert human_window(summary, ReportContext()) == (
        "2026-11-23 00:00 \u2013 2026-11-24 00:00 UTC (24 hours, end exclusive)"
    )


def test_a_feature_failing_another_check_ranks_above_larger_drift_within_limits(tmp_path):
    junk = [csv_record([[40, "45000.0", "0.1", "red", ""]] * 30)]
    result, html = build(tmp_path, "clean", junk=junk)
    checks = {(v["feature_name"], v["constraint_check_type"]) for v in result.violations}
    assert checks == {("plan", "completeness_check")}
    drift = {f.name: f.drift for f in result.evaluation.features}
    assert max(drift, key=drift.get) != "plan"
    assert ranked_names(html)[0] == "plan"
    row = html[html.index('<a href="#f4">plan</a>') :]
    assert "\u2716 violation<br><small>completeness_check</small>" in row[: row.index("</tr>")]
    assert "Drift: no \u2014 0 of 5" in verdict(html) and "1 other violation" in verdict(html)


def test_malformed_examples_survive_shard_states_and_merge_keeps_the_first():
    from dm_helpers import baseline_of

    from drift_monitor.profile import EXAMPLE_CHARS as KEPT
    from drift_monitor.profile import WindowProfile

    base = baseline_of(["x"], [["1", "2", "3"]])
    first, second = WindowProfile.for_baseline(base), WindowProfile.for_baseline(base)
    first.current_line, second.current_line = b"{first", "{second" + "y" * 500
    first.count_malformed("invalid_json")
    second.count_malformed("invalid_json")
    second.count_malformed("invalid_row")
    restored = WindowProfile.from_dict(second.to_dict(), base)
    assert restored.examples["invalid_row"] == second.examples["invalid_row"]
    assert len(restored.examples["invalid_row"]) == KEPT
    first.merge(restored)
    assert first.examples["invalid_json"] == "{first"
    assert first.malformed == {"invalid_json": 2, "invalid_row": 1}
    legacy = {k: v for k, v in second.to_dict().items() if k != "examples"}
    assert WindowProfile.from_dict(legacy, base).examples == {}


def test_values_past_the_category_cap_are_named_as_the_other_fold(tmp_path):
    junk = [csv_record([[40, "45000.0", "0.1", f"shade-{i}", "basic"]]) for i in range(1100)]
    result, html = build(tmp_path, "clean", junk=junk)
    colour = next(f for f in result.evaluation.features if f.name == "colour")
    assert "__other__" in colour.labels
    detail = html[html.index('<h3 id="f3">') :]
    detail = detail[: detail.index('<div class="feature">')]
    assert "__other__ (folded)" in detail
    assert "<code>__other__</code> holds the values folded past 1,000 distinct ones" in detail
    assert "shade-" not in detail  # every value outside the baseline is in the fold
