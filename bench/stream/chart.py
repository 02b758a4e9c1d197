"""Chart of bench/stream/results.json: AWS reads/s and p95 latency against N, per mode and K."""
import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    here = Path(__file__).parent
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, default=here / "results.json")
    parser.add_argument("--out", type=Path, default=here / "calls-latency.png")
    args = parser.parse_args()
    rows_all = [r for r in json.loads(args.results.read_text()) if r["provider"] == "aws" and not r.get("fault")]
    results = [r for r in rows_all if not r.get("code")]
    # Rows of another checkout's portal (--portal-from), drawn as single points beside the lines.
    before = [r for r in rows_all if r.get("code") == "before"]
    fig, (calls, latency) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode in ("event", "solo"):
        for k, style in ((1, "-o"), (3, "--s")):
            rows = sorted((r for r in results if r["mode"] == mode and r["k"] == k), key=lambda r: r["n"])
            if not rows:
                continue
            n = [r["n"] for r in rows]
            label = f"{mode}, K={k}"
            calls.plot(n, [r["readsPerS"] for r in rows], style, label=label)
            # A row where no line arrived in the window has no latency to plot.
            timed = [r for r in rows if r["p95"] is not None]
            latency.plot([r["n"] for r in timed], [r["p95"] / 1000 for r in timed], style, label=label)
    for k, marker in ((1, "x"), (3, "+")):
        points = [r for r in before if r["k"] == k]
        if not points:
            continue
        label = f"event, K={k}, before issue 24"
        calls.plot([r["n"] for r in points], [r["readsPerS"] for r in points], marker, ms=9, color="black", label=label)
        timed = [r for r in points if r["p95"] is not None]
        latency.plot([r["n"] for r in timed], [r["p95"] / 1000 for r in timed], marker, ms=9, color="black", label=label)
    calls.set(xlabel="environments N", ylabel="AWS read calls / s", title="AWS calls (all read APIs)")
    calls.axhline(2, color="grey", lw=0.8, ls=":")
    latency.set(xlabel="environments N", ylabel="p95 latency (s)", title="PutLogEvents → subscriber, p95")
    # The targets: 3 s, set for rooms up to N=200; 2 s for the room of 500 (issue 24).
    latency.axhline(3, color="grey", lw=0.8, ls=":")
    latency.axhline(2, color="grey", lw=0.8, ls="--")
    latency.set_yscale("log")
    for ax in (calls, latency):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)


if __name__ == "__main__":
    main()
