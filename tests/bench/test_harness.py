"""The bench's own machinery: reading wrk, judging figures against targets, the table."""

import pytest

from bench.harness import (
    Check,
    median_range,
    noise_note,
    parse_wrk,
    percentile,
    render_table,
    spread,
    summary_line,
)
from bench.page import page_assets

WRK_OUTPUT = """\
Running 8s test @ http://127.0.0.1:8440/cik/gastric-cancer/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.52ms    3.01ms  48.20ms   81.33%
    Req/Sec     1.53k   120.44     1.80k    70.00%
  Latency Distribution
     50%   10.10ms
     75%   11.95ms
     90%   13.80ms
     99%    1.02s
  24410 requests in 8.01s, 512.33MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   3047.44
Transfer/sec:     63.96MB
"""


def test_it_reads_throughput_and_totals_from_wrk():
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests == 24410
    assert result.seconds == pytest.approx(8.01)
    assert result.rps == pytest.approx(3047.44)


def test_it_converts_every_latency_percentile_to_milliseconds():
    result = parse_wrk(WRK_OUTPUT)
    assert result.latency_ms["50%"] == pytest.approx(10.10)
    assert result.p99_ms == pytest.approx(1020.0)


def test_it_counts_error_responses_and_socket_errors():
    result = parse_wrk(WRK_OUTPUT)
    assert result.non_2xx_3xx == 7
    assert result.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 1}
    assert result.errors == 11


def test_it_reads_microseconds_and_a_clean_run():
    clean = WRK_OUTPUT.replace("10.10ms", "812.00us").replace(
        "  Socket errors: connect 0, read 3, write 0, timeout 1\n  Non-2xx or 3xx responses: 7\n",
        "",
    )
    result = parse_wrk(clean)
    assert result.latency_ms["50%"] == pytest.approx(0.812)
    assert result.errors == 0


def test_it_refuses_output_without_totals():
    with pytest.raises(ValueError, match="no totals"):
        parse_wrk("unable to connect to 127.0.0.1:8440 Connection refused\n")


def test_a_figure_that_meets_its_target_passes():
    check = Check("1 cached page", "req/s vs static", 0.93, ">=", 0.9)
    assert check.status == "PASS"
    assert check.verdict == "PASS"


def test_a_missed_floor_says_by_how_much_it_is_short():
    check = Check("1 cached page", "req/s vs static", 0.72, ">=", 0.9)
    assert check.status == "MISS"
    assert check.verdict == "MISS: 0.18× short of the target, 20% off"


def test_a_missed_ceiling_says_by_how_much_it_is_over():
    check = Check("5 queue latency", "p99", 62.5, "<", 50, "ms")
    assert check.status == "MISS"
    assert check.verdict == "MISS: 12.50 ms over the target, 25% off"


def test_a_strict_ceiling_is_missed_at_the_limit_itself():
    assert Check("5 queue latency", "p99", 50.0, "<", 50, "ms").status == "MISS"
    assert Check("5 queue latency", "p99", 50.0, "<=", 50, "ms").status == "PASS"


def test_a_measure_without_a_figure_is_not_run_and_says_why():
    check = Check("4 upload", "throughput vs cp", None, ">=", 0.8, note="no upload endpoint")
    assert check.status == "NOT RUN"
    assert check.verdict == "NOT RUN: no upload endpoint"


def test_the_table_shows_each_check_with_its_verdict_and_notes():
    checks = [
        Check("1 cached page", "req/s vs static", 0.95, ">=", 0.9, figures="page 950 req/s"),
        Check("7 page weight", "compressed", 120.0, "<=", 100.0, "KB", note="HTML not gzipped"),
        Check("4 upload", "throughput vs cp", None, ">=", 0.8, note="no endpoint"),
    ]
    table = render_table(checks).splitlines()
    assert len(table) == 2 + len(checks)
    assert "PASS" in table[2] and "page 950 req/s" in table[2]
    assert "MISS: 20.0 KB over the target" in table[3] and "HTML not gzipped" in table[3]
    assert "NOT RUN: no endpoint" in table[4]
    assert len({len(line) for line in table}) == 1  # columns line up
    assert summary_line(checks) == "1 PASS, 1 MISS, 1 NOT RUN"


def test_percentile_is_the_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.99) == 7.0


def test_it_finds_the_stylesheets_and_scripts_a_page_loads():
    html = """<html><head>
      <link rel="stylesheet" href="/static/bootstrap/css/bootstrap.min.abc.css">
      <link rel="icon" href="/static/favicon.ico">
      <link rel="preload stylesheet" href="/static/css/site.def.css">
    </head><body><script src="/static/js/page.js" defer></script><script>inline()</script>
    </body></html>"""
    assert page_assets(html) == [
        "/static/bootstrap/css/bootstrap.min.abc.css",
        "/static/css/site.def.css",
        "/static/js/page.js",
    ]


def test_the_report_spells_out_each_missed_and_unmeasured_target():
    from bench.run import build_report

    report = build_report(
        [
            Check("2 uncached render", "req/s vs cached", 0.5, ">=", 0.35),
            Check("6 coordinator queue", "vs raw SQL", 4.2, "<=", 3),
            Check("4 upload", "throughput vs cp", None, ">=", 0.8, note="no endpoint"),
        ],
        elapsed=42,
    )
    assert "1 PASS, 1 MISS, 1 NOT RUN; 42 s" in report
    missed = report.split("Missed targets:\n", 1)[1]
    assert missed.startswith(
        "- 6 coordinator queue, vs raw SQL: 4.20× against ≤ 3.00×: "
        "1.20× over the target, 40% off\n"
    )
    assert "- 4 upload, throughput vs cp: – against ≥ 0.80×: no endpoint" in report


def test_runs_taking_turns_combine_into_one_figure_per_side():
    from bench.harness import WrkResult
    from bench.page import _combined

    combined = _combined(
        [
            WrkResult(requests=600, seconds=6.0, rps=100.0, latency_ms={"99%": 10.0}),
            WrkResult(requests=1800, seconds=6.0, rps=300.0, latency_ms={"99%": 30.0}),
        ]
    )
    assert combined.rps == pytest.approx(200.0)
    assert combined.p99_ms == pytest.approx(20.0)


def test_a_figure_without_a_target_is_reported_and_fails_nothing():
    check = Check("1 cached page", "Django cache vs WhiteNoise", 0.42, "", 0)
    assert check.status == "REPORTED"
    assert check.verdict == "REPORTED"
    assert check.target_shown == "–"
    missing = Check("1 cached page", "Django cache vs WhiteNoise", None, "", 0, note="crashed")
    assert missing.status == "NOT RUN"
    passed = Check("1 cached page", "nginx cache vs nginx static", 0.95, ">=", 0.9)
    assert summary_line([check, passed]) == "1 PASS, 0 MISS, 0 NOT RUN, 1 REPORTED"
    assert summary_line([passed]) == "1 PASS, 0 MISS, 0 NOT RUN"


def test_rounds_are_summed_up_as_their_median_and_range():
    assert median_range([3.0, 1.0, 2.0, 10.0, 2.5]) == (2.5, 1.0, 10.0)
    assert spread([1.1, 1.4, 1.2], unit="×") == "1.20× (1.10–1.40× over 3 rounds)"


def test_a_target_between_the_fastest_and_slowest_round_is_inside_the_noise():
    assert "noise" in noise_note([0.7, 0.85, 0.9], 0.8)
    assert noise_note([0.9, 1.0, 1.1], 0.8) == ""
    assert noise_note([0.5, 0.6, 0.7], 0.8) == ""
