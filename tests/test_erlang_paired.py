"""The arithmetic and the table of ``benchmarks/erlang_paired.py``, apart from any timing: the
verdict of a paired run is only as good as the summary of its (Erlang, alara) pairs."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from benchmarks.erlang_paired import (
    PairedSummary,
    Plan,
    markdown,
    parser,
    plan_of,
    sign_test,
    summarize_pairs,
)


def figures(summary: PairedSummary) -> tuple[float, ...]:
    """(rounds, median ratio, lowest, highest, rounds led, median alara, median Erlang)."""
    return (summary.rounds, summary.median_ratio, summary.min_ratio, summary.max_ratio,
            summary.led, summary.median_alara, summary.median_erlang)


def test_odd_number_of_rounds_takes_the_middle_ratio() -> None:
    summary = summarize_pairs([(10.0, 5.0), (10.0, 20.0), (20.0, 10.0)])  # 0.5, 2.0, 0.5
    assert figures(summary) == pytest.approx((3, 0.5, 0.5, 2.0, 2, 10.0, 10.0))
    assert summary.leads


def test_even_number_of_rounds_averages_the_two_middle_ratios() -> None:
    summary = summarize_pairs([(10.0, 8.0), (10.0, 12.0), (20.0, 10.0), (40.0, 60.0)])
    # ratios 0.8, 1.2, 0.5, 1.5: the median is (0.8 + 1.2) / 2, not either of them
    assert figures(summary) == pytest.approx((4, 1.0, 0.5, 1.5, 2, 11.0, 15.0))
    assert not summary.leads  # a tie is not a lead


def test_the_median_of_ratios_is_not_the_ratio_of_medians() -> None:
    # alara is faster in two of three rounds, each measured in a different machine phase;
    # the ratio of the medians (2 / 1 = 2x) would call it a loss.
    summary = summarize_pairs([(1.0, 0.9), (4.0, 2.0), (1.0, 3.0)])
    assert summary.median_alara / summary.median_erlang == pytest.approx(2.0)
    assert summary.median_ratio == pytest.approx(0.9)
    assert summary.led == 2
    assert summary.leads


def test_rates_lead_above_one() -> None:
    summary = summarize_pairs([(10.0, 20.0), (10.0, 5.0), (10.0, 30.0)], higher_is_better=True)
    assert summary.led == 2
    assert summary.leads


@pytest.mark.parametrize("pairs", [[], [(0.0, 1.0)], [(1.0, -1.0)]])
def test_no_rounds_or_a_non_positive_figure_is_refused(pairs: list[tuple[float, float]]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any message
        summarize_pairs(pairs)


def test_table_has_one_line_per_pairing_and_row() -> None:
    trails = asdict(summarize_pairs([(20.0, 30.0), (20.0, 10.0), (10.0, 20.0)]))
    leads = asdict(summarize_pairs([(60.0, 30.0), (50.0, 40.0)]))
    results = [{"alara": "alara uvloop", "erlang": "Erlang +S 1",
                "rows": {"seq_p50_us": {"summary": leads}, "start_ms": {"summary": trails}}}]
    lines = markdown(results).splitlines()
    assert len(lines) == 4
    # two rounds of two, or one of three, is no evidence either way: a tie by the sign test
    assert lines[2] == ("| alara uvloop vs Erlang +S 1 | sequential 32 B request p50, 3 workers "
                        "| 35.0 µs | 55.0 µs | 0.65x | 0.50x to 0.80x | 2/2 | 0.5 | tie |")
    assert lines[3].endswith("| 1.50x | 0.50x to 2.00x | 1/3 | 1 | tie |")
    assert PairedSummary(**trails).rounds == 3


def test_quick_is_small_and_explicit_rounds_win() -> None:
    plan = plan_of(parser().parse_args(["--quick", "--rounds", "3"]))
    assert plan == Plan(rounds=3, quick=True)
    assert plan_of(parser().parse_args([])) == Plan(rounds=15)
    assert [plan.size(key) for key in plan.rows] == [500, 2, 1]
    assert [Plan(15).size(key) for key in plan.rows] == [3_000, 20, 3]
    assert plan.rows == ("seq_p50_us", "callers_per_s", "start_ms")
    only = plan_of(parser().parse_args(["--rows", "start_ms", "callers_per_s"]))
    assert only.rows == ("start_ms", "callers_per_s")
    with pytest.raises(SystemExit):
        parser().parse_args(["--rows", "restart_us"])  # a row's key, or nothing


@pytest.mark.parametrize(("wins", "rounds", "p"), [
    (0, 0, 1.0),
    (5, 10, 1.0),  # an even split: no evidence at all
    (10, 10, 2 / 1024),  # every round: 2 x (1/2)**10
    (0, 10, 2 / 1024),  # every round lost is as unlikely
    (8, 10, 2 * 56 / 1024),  # P(X <= 2) = (1 + 10 + 45) / 1024, both tails
    (1, 2, 1.0),
])
def test_the_sign_test_is_exact_and_two_sided(wins: int, rounds: int, p: float) -> None:
    assert sign_test(wins, rounds) == pytest.approx(p)


def test_a_verdict_needs_the_sign_test_not_just_the_median() -> None:
    ahead = summarize_pairs([(10.0, 9.0)] * 12 + [(10.0, 11.0)] * 2)  # 12 of 14 rounds
    assert ahead.sign_p < 0.05
    assert ahead.verdict == "leads"
    behind = summarize_pairs([(10.0, 13.0)] * 13 + [(10.0, 9.0)])
    assert behind.verdict == "trails"
    coin = summarize_pairs([(10.0, 9.0)] * 8 + [(10.0, 11.0)] * 7)  # median on alara's side
    assert coin.leads
    assert coin.verdict == "tie"
    tied = summarize_pairs([(10.0, 10.0)] * 5 + [(10.0, 9.0)] * 2)  # equal rounds count for neither
    assert (tied.led, tied.verdict) == (2, "tie")
    assert tied.sign_p == pytest.approx(0.5)
