"""Draws bench/local-room/timings.png from bench/local-room/results.json (written by the bench run)."""

import argparse
import json
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, default=here / "results.json")
    parser.add_argument("--out", type=Path, default=here / "timings.png")
    args = parser.parse_args()

    results = json.loads(args.results.read_text())
    floor, single, room = results["floor"], results["single"], results["room"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=120)

    bars = [
        ("floor ready", [r["readySeconds"] for r in floor]),
        ("portal ready", [r["readySeconds"] for r in single]),
        ("notebook live", [r["notebookSeconds"] for r in single]),
        ("floor teardown", [r["teardownSeconds"] for r in floor]),
        ("portal teardown", [r["teardownSeconds"] for r in single]),
    ]
    medians = [statistics.median(values) for _, values in bars]
    left.bar(range(len(bars)), medians, color=["#999", "#1f77b4", "#6baed6", "#999", "#d62728"])
    for i, (_, values) in enumerate(bars):
        left.plot([i] * len(values), values, "k.", alpha=0.5)
    left.set_xticks(range(len(bars)), [label for label, _ in bars], rotation=20, ha="right")
    left.set_ylabel("seconds (bar: median, dots: runs)")
    left.set_title("One environment vs the raw floor")
    left.grid(axis="y", alpha=0.3)

    ready = sorted(room["readySeconds"])
    right.step(ready, range(1, len(ready) + 1), where="post")
    right.set_xlabel("seconds since all deploys were sent")
    right.set_ylabel("environments CREATE_COMPLETE")
    right.set_title(f"{room['environments']} environments at once ({room['workerMemory']}, 1 worker)")
    right.grid(alpha=0.3)

    fig.tight_layout()
    fig.savefig(args.out)


if __name__ == "__main__":
    main()
