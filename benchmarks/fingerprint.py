"""Fingerprint of the model's outputs: sha256 of every output table of 16 scenario/seed cases.

Usage (from the repository root):

    python -m uv run --frozen python benchmarks/fingerprint.py > /tmp/before.txt
    # change the code, then
    python -m uv run --frozen python benchmarks/fingerprint.py --check /tmp/before.txt

A change meant to make the model faster or tidier, not different, must print `identical`.
`--exclude reviews` leaves a table out (when a change is meant to add rows to it only).
Cases: the baseline with seeds 0, 1, 2, 7; nine what-ifs with seed 3; three docking cases.
Not a test: it exits 1 when a case differs, and writes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import sys

CASES = [("baseline", s) for s in (0, 1, 2, 7)] + [
    (f"what_if/{w}", 3) for w in ("no_vendor_financing", "block_nvidia_openai",
                                 "exclusivity_banned", "microsoft_divests_2026", "regime_strict",
                                 "fair_packaging", "ai_revenue_slowdown", "cap_equity",
                                 "investor_exclusivity")
] + [("docking/outside_option", 0), ("docking/cournot", 0), ("docking/nash", 0)]


def fingerprint(name: str, seed: int, exclude: set[str]) -> str:
    """16 hex digits of sha256 over every table's name, columns and rows (in order)."""
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario

    tables = run(load_scenario(name), rng=seed).tables
    digest = hashlib.sha256()
    for table in sorted(t for t in tables if t not in exclude):
        frame = tables[table]
        digest.update(table.encode())
        digest.update(repr(frame.columns).encode())
        digest.update(repr(frame.rows()).encode())
    return digest.hexdigest()[:16]


def main() -> None:
    """Print one line per case, or compare them with a file printed before."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", metavar="FILE", help="compare with a file this script printed")
    ap.add_argument("--exclude", default="", help="tables to leave out, comma-separated")
    args = ap.parse_args()
    exclude = {t for t in args.exclude.split(",") if t}
    lines = [f"{name} {seed} {fingerprint(name, seed, exclude)}" for name, seed in CASES]
    if args.check is None:
        print("\n".join(lines))
        return
    with open(args.check, encoding="utf-8") as fh:
        want = fh.read().split("\n")
    differ = [(a, b) for a, b in zip(want, lines, strict=False) if a != b]
    for a, b in differ:
        print(f"differs: {a} -> {b}")
    print("identical" if not differ else f"{len(differ)} of {len(lines)} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
