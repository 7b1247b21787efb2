"""Group quality: how well opinion groups predict held-out votes, ours vs Pol.is' exported groups.

For every conversation in ../shared/datasets/polis: hide a seeded 10 % of the latest votes, find
groups on the rest, and predict each hidden vote from the +1-smoothed agree/disagree/pass
distribution of the voter's group on that statement (``clustering.evaluation``). ``lift`` =
log-loss without groups − log-loss with groups (nats per hidden vote). Pol.is' exported groups
(participants-votes.csv ``group-id``) are scored the same way — although they saw the hidden
votes. Also shown: a cold re-run of the Pol.is procedure (``method="polis"``), the number of
groups, the share of Pol.is' clustered participants we cluster, and the adjusted Rand index
against Pol.is' groups.

    .venv/bin/python benchmarks/group_quality.py [--seeds 0 1 2] [--pass-aware] [DATASETS_DIR]

Prints one line per figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clustering.evaluation import hide_votes, lift  # noqa: E402
from clustering.opinion_groups import analyze  # noqa: E402
from clustering.polis_export import read_export  # noqa: E402

DEFAULT_DIR = (
    Path(os.environ.get("CONSULT_SHARED_DIR", ROOT.parent / "shared")) / "datasets" / "polis"
)


def evaluate(folder: Path, seed: int, **params: object) -> dict[str, float]:
    """Lifts and agreement figures for one conversation and one hiding seed."""
    export = read_export(folder)
    votes = export.vote_matrix()
    polis = export.group_labels(votes.participant_ids)
    held = hide_votes(votes, 0.1, random_state=seed)
    ours = analyze(held.visible, random_state=seed, **params)
    cold = analyze(held.visible, random_state=seed, method="polis")
    labels = np.asarray(ours.participants.group)
    both = (labels >= 0) & (polis >= 0)
    return {
        "lift_ours": lift(held, labels),
        "lift_polis": lift(held, polis),
        "lift_polis_cold": lift(held, np.asarray(cold.participants.group)),
        "groups": float(ours.counts["n_groups"]),
        "polis_groups": float(len(np.unique(polis[polis >= 0]))),
        "coverage": float(both.sum() / max((polis >= 0).sum(), 1)),
        "clustered_polis": float((polis >= 0).sum()),
        "clustered_both": float(both.sum()),
        "ari": float(adjusted_rand_score(polis[both], labels[both])) if both.any() else 0.0,
        "hidden_votes": float(len(held.values)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--pass-aware", action="store_true", help="let passes shape groups")
    args = parser.parse_args(argv)
    folders = sorted(p for p in args.datasets.iterdir() if (p / "comments.csv").is_file())
    if not folders:
        print(f"no Pol.is exports under {args.datasets}", file=sys.stderr)
        return 1
    params = {"pass_aware": True} if args.pass_aware else {}
    totals = {"lift_ours": 0.0, "lift_polis": 0.0, "lift_polis_cold": 0.0}
    clustered_polis = clustered_both = 0.0
    max_groups = 0.0
    start = time.perf_counter()
    for folder in folders:
        rows = [evaluate(folder, seed, **params) for seed in args.seeds]
        mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        for key in totals:
            totals[key] += mean[key]
        clustered_polis += mean["clustered_polis"]
        clustered_both += mean["clustered_both"]
        max_groups = max(max_groups, max(r["groups"] for r in rows))
        name = folder.name
        print(
            f"group_quality {name} lift ours {mean['lift_ours']:.4f} nats/vote "
            f"(groups {'/'.join(str(int(r['groups'])) for r in rows)})"
        )
        print(
            f"group_quality {name} lift polis-exported {mean['lift_polis']:.4f} nats/vote "
            f"(groups {int(mean['polis_groups'])})"
        )
        print(
            f"group_quality {name} lift polis-procedure-cold {mean['lift_polis_cold']:.4f} "
            "nats/vote"
        )
        print(f"group_quality {name} coverage of polis-clustered {mean['coverage']:.3f}")
        print(f"group_quality {name} ARI vs polis groups {mean['ari']:.3f}")
    ratio = totals["lift_ours"] / totals["lift_polis"]
    cold_ratio = totals["lift_polis_cold"] / totals["lift_polis"]
    print(
        f"group_quality SUM lift ours {totals['lift_ours']:.4f} vs polis-exported "
        f"{totals['lift_polis']:.4f} (ratio {ratio:.3f}; target >= 1)"
    )
    print(
        f"group_quality SUM lift polis-procedure-cold {totals['lift_polis_cold']:.4f} "
        f"(ratio {cold_ratio:.3f})"
    )
    print(f"group_quality max groups {int(max_groups)} (target <= 5)")
    print(
        f"group_quality coverage of polis-clustered participants (all conversations) "
        f"{clustered_both / clustered_polis:.3f} (target >= 0.90)"
    )
    print(
        f"group_quality seeds {' '.join(map(str, args.seeds))}; {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
