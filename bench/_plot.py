"""The throughput benchmark's picture: the platform against the bare sandbox, by clients.

Left: evaluations per second. Right: submit -> terminal latency percentiles (p50, p95,
p99). Bare sandbox dashed, platform solid, so the gap shows at a glance. matplotlib's
Agg backend: no display needed.
"""

from __future__ import annotations

from pathlib import Path

PERCENTILES = ("p50", "p95", "p99")


def throughput_figure(rows: list[dict], path: Path, title: str) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clients = [row["clients"] for row in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(clients, [r["bare_per_s"] for r in rows], "o--", label="bare sandbox")
    left.plot(clients, [r["platform_per_s"] for r in rows], "o-", label="platform")
    for row in rows:
        left.annotate(f"{row['ratio']:.2f}x", (row["clients"], row["platform_per_s"]),
                      textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8)
    left.set(xlabel="concurrent clients", ylabel="evaluations / s", title="throughput (ratio platform/bare)")
    left.set_ylim(bottom=0)
    left.legend()
    for pct, color in zip(PERCENTILES, ("tab:blue", "tab:orange", "tab:red")):
        right.plot(clients, [r["bare_latency_ms"][pct] for r in rows], "--", color=color, label=f"bare {pct}")
        right.plot(clients, [r["platform_latency_ms"][pct] for r in rows], "-", marker="o", color=color,
                   label=f"platform {pct}")
    right.set(xlabel="concurrent clients", ylabel="ms", title="latency per evaluation", yscale="log")
    right.legend(fontsize=7, ncol=2)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
