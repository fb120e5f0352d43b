"""Benchmark: calibrate 100,000 responses and assemble 20 parallel forms from a 300-item bank
(issue 21). Pure computation, no database: the same functions the services call.

Calibration: 300 items (a ~ lognormal(0, 0.3), b ~ N(0, 1)), candidates of ability ~ N(0, 1)
each answering 30 items drawn at random, until N responses; fit with
`calibration.fit_responses` (mirt, Rasch and 2PL); prints the time and the recovery of b
(and a) after mean/sigma rescaling.

Assembly: 3 sections × 100 items (easy/medium/hard centred at −1/0/+1), 20 forms of 4/4/2 per
section (30 items), 40 enemy pairs, each item on at most 3 forms, expected score within
±tolerance/2 at θ = −1 … 1; prints the solver's time and the forms' largest difference.

Equating: every raw score 0 … 30 of every assembled form equated to form 1 (IRT true-score
equating, `irt.true_score_equate`): the conversion tables a sitting of any size needs; prints
the time and how far an equated score moves from the raw one.

    .venv/bin/python bench/psychometrics.py
    .venv/bin/python bench/psychometrics.py --responses 300000 --forms 20 --tolerance 1.0
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from app import create_app
from app.exams import calibration, irt, parallel_forms
from app.exams.parallel_forms import PoolItem

THETAS = (-1.0, -0.5, 0.0, 0.5, 1.0)


def simulate(n_items: int, responses: int, per_person: int, seed: int):
    rng = np.random.default_rng(seed)
    a, b = np.exp(rng.normal(0, 0.3, n_items)), rng.normal(0, 1, n_items)
    triples = []
    person = 0
    while len(triples) < responses:
        items = rng.choice(n_items, per_person, replace=False)
        p = irt.probability([rng.normal()], a[items], b[items])[0]
        right = rng.random(per_person) < p
        triples.extend((person, int(i), int(r)) for i, r in zip(items, right, strict=True))
        person += 1
    return a, b, triples, person


def rescaled_rmse(est: np.ndarray, true: np.ndarray) -> float:
    est = (est - est.mean()) / est.std() * true.std() + true.mean()
    return float(np.sqrt(np.mean((est - true) ** 2)))


def bench_calibration(args) -> None:
    a, b, triples, people = simulate(300, args.responses, 30, args.seed)
    print(f"calibration: {len(triples):,} responses, {people:,} candidates, 300 items")
    calibration.fit_responses(triples[:3000], "rasch", 1, 1)  # the library's first call loads its backend
    for model in ("rasch", "2pl"):
        started = time.perf_counter()
        fit = calibration.fit_responses(triples, model, args.seed, 30)
        seconds = time.perf_counter() - started
        est_b = np.array([fit.items[i].difficulty for i in range(300)])
        r_b, rmse_b = np.corrcoef(est_b, b)[0, 1], rescaled_rmse(est_b, b)
        line = f"  {model:<5} {seconds:6.2f} s  r(b) {r_b:.3f}  RMSE b {rmse_b:.3f}"
        if model == "2pl":
            est_a = np.array([fit.items[i].discrimination for i in range(300)])
            line += f"  r(a) {np.corrcoef(est_a, a)[0, 1]:.3f}"
        print(line + f"  converged {fit.converged}")


def bench_assembly(args) -> None:
    rng = np.random.default_rng(args.seed)
    centre = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
    pool = []
    for section in ("analytical", "language", "law_ethics"):
        for band, n in (("easy", 34), ("medium", 33), ("hard", 33)):
            for i in range(n):
                pool.append(
                    PoolItem(
                        version_id=len(pool),
                        code=f"{section}-{band}-{i}",
                        section=section,
                        topic=f"t{i % 4}",
                        band=band,
                        a=float(np.exp(rng.normal(0, 0.3))),
                        b=float(centre[band] + rng.normal(0, 0.4)),
                    )
                )
    draw = {
        (s, band): n
        for s in ("analytical", "language", "law_ethics")
        for band, n in (("easy", 4), ("medium", 4), ("hard", 2))
    }
    pairs = set()
    while len(pairs) < 40:
        i, j = sorted(rng.choice(len(pool), 2, replace=False))
        if pool[i].section == pool[j].section:
            pairs.add((pool[i].code, pool[j].code))
    print(
        f"assembly: {len(pool)} items, {args.forms} forms of 30, 40 enemy pairs, "
        f"≤ 3 forms an item, tolerance {args.tolerance}"
    )
    started = time.perf_counter()
    solution = parallel_forms.solve(
        pool,
        draw,
        args.forms,
        thetas=THETAS,
        tolerance=args.tolerance,
        max_forms_per_item=3,
        enemies=sorted(pairs),
        time_limit=args.time_limit,
        seed=args.seed,
    )
    seconds = time.perf_counter() - started
    curves = [
        irt.expected_scores(THETAS, [pool[i].a for i in f], [pool[i].b for i in f]) for f in solution.forms
    ]
    report = parallel_forms.compare_forms(curves, THETAS, args.tolerance)
    print(
        f"  highspy {seconds:6.2f} s  largest difference {report.largest_difference:.3f} points (per θ: "
        + ", ".join(f"{d:.2f}" for d in report.differences)
        + ")"
    )
    bench_equating(pool, solution.forms)


def bench_equating(pool, forms) -> None:
    def curve(form):
        return [pool[i].a for i in form], [pool[i].b for i in form], 1.0

    reference = curve(forms[0])
    started = time.perf_counter()
    moved = [
        abs(irt.true_score_equate(x, curve(form), reference)[0] - x)
        for form in forms[1:]
        for x in range(len(form) + 1)
    ]
    seconds = time.perf_counter() - started
    print(
        f"equating: {len(moved):,} raw scores ({len(forms) - 1} forms × 0…{len(forms[0])}) to form 1 in "
        f"{seconds:.2f} s; equated − raw: largest {max(moved):.2f}, mean {np.mean(moved):.2f} points"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--forms", type=int, default=20)
    parser.add_argument("--tolerance", type=float, default=1.0)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        bench_calibration(args)
        bench_assembly(args)


if __name__ == "__main__":
    main()
