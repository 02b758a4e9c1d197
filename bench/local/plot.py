"""Draws bench/local/timings.png from bench/local/results.json (written by the bench run)."""

import argparse
import json
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MEASURES = [
    ("clusterUpSeconds", "cluster up"),
    ("readySeconds", "deploy to ready"),
    ("teardownSeconds", "teardown"),
]


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, default=here / "results.json")
    parser.add_argument("--out", type=Path, default=here / "timings.png")
    args = parser.parse_args()

    runs = json.loads(args.results.read_text())["runs"]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=120)
    width = 0.8 / len(MEASURES)
    numbers = [r["run"] for r in runs]
    for i, (key, label) in enumerate(MEASURES):
        offsets = [n + (i - (len(MEASURES) - 1) / 2) * width for n in numbers]
        ax.bar(offsets, [r[key] for r in runs], width, label=label)
    before_file = args.results.with_name("results-before.json")
    if before_file.exists():
        # The same bench on the code before the change, from the same session: its medians as lines.
        before = json.loads(before_file.read_text())["runs"]
        for i, (key, label) in enumerate(MEASURES):
            ax.axhline(statistics.median(r[key] for r in before), color=f"C{i}", linestyle="--", linewidth=1, label=f"{label}, before (median)")
    ax.set_xticks(numbers)
    ax.set_xlabel("run")
    ax.set_ylabel("seconds")
    ax.set_title("Local provider: deploy and teardown (scheduler, 2 workers, JupyterLab)")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(MEASURES), fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out)


if __name__ == "__main__":
    main()
