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

    before_file = args.results.with_name("results-before.json")
    if before_file.exists():
        # The same bench on the code before the change, from the same session.
        before = json.loads(before_file.read_text())
        earlier = [
            [r["readySeconds"] for r in before["floor"]],
            [r["readySeconds"] for r in before["single"]],
            [r["notebookSeconds"] for r in before["single"]],
            [r["teardownSeconds"] for r in before["floor"]],
            [r["teardownSeconds"] for r in before["single"]],
        ]
        left.scatter(range(len(earlier)), [statistics.median(v) for v in earlier], marker="_", s=600, color="k", zorder=3, label="before: median")
        left.legend(frameon=False, fontsize="small")
        was = sorted(before["room"]["readySeconds"])
        right.step(was, range(1, len(was) + 1), where="post", color="#999", label="before")
    ready = sorted(room["readySeconds"])
    right.step(ready, range(1, len(ready) + 1), where="post", label="after" if before_file.exists() else None)
    if before_file.exists():
        right.legend(frameon=False)
    right.set_xlabel("seconds since all deploys were sent")
    right.set_ylabel("environments CREATE_COMPLETE")
    right.set_title(f"{room['environments']} environments at once ({room['workerMemory']}, 1 worker)")
    right.grid(alpha=0.3)

    fig.tight_layout()
    fig.savefig(args.out)


if __name__ == "__main__":
    main()
