"""Cost of the buy-till-you-die models (membership/insight/clv.py), without Django.

    .venv/bin/python bench/clv_fit.py [--customers 100000] [--runs 5] [--seed 1]

Two data sets, weeks as the unit:

- CDNOW: the 2,357-customer sample of the BG/NBD paper (tests/fixtures/cdnow/);
- synthetic: ``--customers`` customers drawn from a BG/NBD process with CDNOW-like parameters
  (r 0.25, alpha 4, a 0.8, b 2.5), first purchases spread over two years, purchases recorded at
  day resolution (recency and T are whole days / 7, as the refresh computes them).

For each: the BG/NBD fit, the Gamma-Gamma fit (repeat buyers; synthetic order values drawn from
a Gamma-Gamma process with p 6, q 4, gamma 15), and the predictions the refresh makes for every
customer (P(alive), expected purchases in 90 days, 12-month CLV). Median and worst of
``--runs`` runs, after one warm-up; the number of distinct (x, t_x, T) histories shows how much
the fit's aggregation saves.

Last, expected purchases in 90 days for the synthetic customers at parameters like those a fit
gives when the dropout probability hardly varies between customers (a = 14,083, b = 156,437:
Beta(a, b) concentrated near 0.083), where scipy's 2F1 returns NaN and the module sums over the
Beta distribution instead.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from membership.insight import clv  # noqa: E402

CDNOW = ROOT / "tests" / "fixtures" / "cdnow" / "cdnow_customers_summary.csv"
HORIZON_90_DAYS = 90 / 7
HORIZON_12_MONTHS = 365 / 7


def load_cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    with CDNOW.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = [np.array([float(row[name]) for row in rows]) for name in ("x", "t_x", "T", "zbar")]
    return columns[0], columns[1], columns[2], columns[3]


def synthetic(customers: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.25, 4.0, 0.8, 2.5
    rate = rng.gamma(r, 1 / alpha, customers)  # purchases per week while active
    dropout = rng.beta(a, b, customers)
    age_days = rng.integers(0, 730, customers)
    big_t = age_days / 7
    x = np.zeros(customers)
    last = np.zeros(customers)
    now = np.zeros(customers)
    active = np.ones(customers, dtype=bool)
    while active.any():
        now = now + rng.exponential(1 / np.maximum(rate, 1e-12))
        active &= now <= big_t
        # Purchases land on a day: a second one the same day is not a repeat purchase.
        day = np.floor(now * 7) / 7
        repeat = active & (day > last)
        x[repeat] += 1
        last[repeat] = day[repeat]
        # BG/NBD: after each purchase the customer drops out with probability p.
        active &= rng.random(customers) >= dropout
    p, q, gamma = 6.0, 4.0, 15.0
    nu = rng.gamma(q, 1 / gamma, customers)
    spend = np.where(x > 0, rng.gamma(p * np.maximum(x, 1), 1 / nu) / np.maximum(x, 1), 0.0)
    return x, last, big_t, spend


def timed(action: Callable[[], Any], runs: int) -> tuple[Any, float, float]:
    action()
    seconds = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - start)
    return result, statistics.median(seconds), max(seconds)


def bench(name: str, data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], runs: int) -> None:
    x, t_x, big_t, m = data
    distinct = len(np.unique(np.column_stack((x, t_x, big_t)), axis=0))
    repeat = int((x > 0).sum())
    print(f"\n{name}: {len(x):,} customers, {repeat:,} repeat buyers, {distinct:,} distinct histories")
    fit, median, worst = timed(lambda: clv.bgnbd_fit(x, t_x, big_t), runs)
    p = fit.params
    print(
        f"  BG/NBD fit        {median * 1000:8.1f} ms median, {worst * 1000:8.1f} ms worst  "
        f"r={p.r:.4f} alpha={p.alpha:.4f} a={p.a:.4f} b={p.b:.4f} LL={fit.log_likelihood:.1f} "
        f"converged={fit.converged}"
    )
    gg, median, worst = timed(lambda: clv.gamma_gamma_fit(x, m), runs)
    g = gg.params
    print(
        f"  Gamma-Gamma fit   {median * 1000:8.1f} ms median, {worst * 1000:8.1f} ms worst  "
        f"p={g.p:.4f} q={g.q:.4f} gamma={g.gamma:.4f} on {gg.customers:,} repeat buyers "
        f"converged={gg.converged}"
    )

    def predict() -> None:
        clv.bgnbd_p_alive(p, x, t_x, big_t)
        clv.bgnbd_expected_purchases(p, HORIZON_90_DAYS, x, t_x, big_t)
        clv.clv_predict(p, g, x, t_x, big_t, m, horizon=HORIZON_12_MONTHS)

    _, median, worst = timed(predict, runs)
    print(
        f"  predictions       {median * 1000:8.1f} ms median, {worst * 1000:8.1f} ms worst  "
        "(P(alive), 90 days, 12-month CLV)"
    )


def bench_concentrated(data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], runs: int) -> None:
    x, t_x, big_t, _ = data
    params = clv.BgNbdParams(r=1.0256, alpha=8.5345, a=14083.0, b=156437.0)
    _, median, worst = timed(
        lambda: clv.bgnbd_expected_purchases(params, HORIZON_90_DAYS, x, t_x, big_t), runs
    )
    print(
        f"\nconcentrated dropout (a={params.a:g}, b={params.b:g}), {len(x):,} customers:\n"
        f"  expected purchases {median * 1000:7.1f} ms median, {worst * 1000:8.1f} ms worst  (90 days)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    bench("CDNOW", load_cdnow(), args.runs)
    start = time.perf_counter()
    data = synthetic(args.customers, args.seed)
    print(f"\n(synthetic data drawn in {time.perf_counter() - start:.1f} s)")
    bench("synthetic", data, args.runs)
    bench_concentrated(data, args.runs)


if __name__ == "__main__":
    main()
