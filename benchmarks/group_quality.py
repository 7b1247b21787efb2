"""Group quality: how well opinion groups predict held-out votes, ours vs Pol.is' exported groups.

For every conversation in ../shared/datasets/polis: hide a seeded 10 % of the latest votes, find
groups on the rest, and predict each hidden vote from the +1-smoothed agree/disagree/pass
distribution of the voter's group on that statement (``clustering.evaluation``). ``lift`` =
log-loss without groups − log-loss with groups (nats per hidden vote). Pol.is' exported groups
(participants-votes.csv ``group-id``) are scored the same way — although they saw the hidden
votes. For reference: a cold re-run of the Pol.is procedure (``method="polis"``) on the same
visible votes, and our groups fitted on all votes (seeing the hidden ones, as Pol.is' did).
Also: number of groups, share of Pol.is' clustered participants we cluster, adjusted Rand index
against Pol.is' groups, stability (ARI between our groupings of different 90 % subsets) and, for
exports with vote timestamps, how stable groups are when recomputed as votes arrive (60 %, 70 %,
… 100 % of the votes by time), warm-started from the previous analysis or cold.

Lifts are averaged over the seeds (default 0-9: the small conversations are noisy — London has
~64 hidden votes per seed); the sums are over conversations.

    .venv/bin/python benchmarks/group_quality.py [--seeds 0 1 2] [--pass-aware] [DATASETS_DIR]

Prints one line per figure.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clustering.evaluation import group_quality, held_out_runs, lift  # noqa: E402
from clustering.opinion_groups import AnalysisResult, analyze  # noqa: E402
from clustering.polis_export import read_export  # noqa: E402
from clustering.votes import VoteMatrix  # noqa: E402

DEFAULT_DIR = (
    Path(os.environ.get("CONSULT_SHARED_DIR", ROOT.parent / "shared")) / "datasets" / "polis"
)


def _ari(a: np.ndarray, b: np.ndarray) -> float:
    both = (a >= 0) & (b >= 0)
    return float(adjusted_rand_score(a[both], b[both])) if both.any() else 0.0


def evaluate(folder: Path, seeds: list[int], **params: object) -> dict[str, object]:
    """Lifts and agreement figures for one conversation, per hiding seed."""
    export = read_export(folder)
    votes = export.vote_matrix()
    polis = export.group_labels(votes.participant_ids)
    in_sample = np.asarray(analyze(votes, random_state=0, **params).participants.group)
    runs = held_out_runs(votes, polis, seeds, **params)
    rows: list[dict[str, float]] = []
    ours_labels, cold_labels = [], []
    for run in runs:
        cold = analyze(run.held.visible, random_state=run.seed, method="polis")
        cold_lab = np.asarray(cold.participants.group)
        ours_labels.append(run.labels)
        cold_labels.append(cold_lab)
        rows.append(
            {
                "lift_ours": run.lift_ours,
                "lift_polis": run.lift_reference,
                "lift_polis_cold": lift(run.held, cold_lab),
                "lift_ours_in_sample": lift(run.held, in_sample),
                "groups": float(run.n_groups),
                "clustered_polis": float(run.clustered_reference),
                "clustered_both": float(run.clustered_both),
                "ari": _ari(polis, run.labels),
            }
        )
    pairs = list(itertools.combinations(range(len(seeds)), 2))
    return {
        "runs": runs,
        "rows": rows,
        "mean": {k: float(np.mean([r[k] for r in rows])) for k in rows[0]},
        "polis_groups": int(len(np.unique(polis[polis >= 0]))),
        "stability_ours": float(np.mean([_ari(ours_labels[a], ours_labels[b]) for a, b in pairs]))
        if pairs
        else float("nan"),
        "stability_cold": float(np.mean([_ari(cold_labels[a], cold_labels[b]) for a, b in pairs]))
        if pairs
        else float("nan"),
    }


def replay(folder: Path, **params: object) -> dict[str, float] | None:
    """Recompute as votes arrive (60 %, 70 %, … 100 % by time), warm-started vs cold.

    Returns the mean share of participants keeping their group id and the mean ARI between
    consecutive analyses, for warm-started (``previous``) and cold recomputes; None without
    vote timestamps.
    """
    export = read_export(folder)
    if export.timestamps is None:
        return None
    cuts = np.quantile(export.timestamps, [0.6, 0.7, 0.8, 0.9, 1.0])
    figures: dict[str, list[float]] = {
        "warm_same": [],
        "warm_ari": [],
        "cold_same": [],
        "cold_ari": [],
    }
    last: dict[str, AnalysisResult] = {}
    for cut in cuts:
        keep = export.timestamps <= cut
        votes = VoteMatrix.from_votes(
            export.participant_ids[keep],
            export.statement_ids[keep],
            export.values[keep],
            order=export.timestamps[keep],
            moderated_out=export.moderated_out,
            meta=export.meta,
        )
        now = {
            "warm": analyze(votes, previous=last.get("warm"), random_state=0, **params),
            "cold": analyze(votes, random_state=0, **params),
        }
        for tag, result in now.items():
            before = last.get(tag)
            if before is None:
                continue
            old_ids = np.asarray(before.participants.ids)
            old = np.asarray(before.participants.group)
            new = np.asarray(result.participants.group)[
                np.searchsorted(np.asarray(result.participants.ids), old_ids)
            ]
            both = (old >= 0) & (new >= 0)
            figures[f"{tag}_same"].append(float(np.mean(old[both] == new[both])))
            figures[f"{tag}_ari"].append(_ari(old, new))
        last = now
    return {k: float(np.mean(v)) for k, v in figures.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--pass-aware", action="store_true", help="let passes shape groups")
    args = parser.parse_args(argv)
    if not args.datasets.is_dir():
        print(f"no datasets directory at {args.datasets}", file=sys.stderr)
        return 1
    folders = sorted(p for p in args.datasets.iterdir() if (p / "comments.csv").is_file())
    if not folders:
        print(f"no Pol.is exports under {args.datasets}", file=sys.stderr)
        return 1
    params = {"pass_aware": True} if args.pass_aware else {}
    keys = ("lift_polis_cold", "lift_ours_in_sample")
    totals = dict.fromkeys(keys, 0.0)
    all_runs = []
    start = time.perf_counter()
    for folder in folders:
        res = evaluate(folder, args.seeds, **params)
        mean, rows = res["mean"], res["rows"]
        for key in keys:
            totals[key] += mean[key]
        all_runs.append(res["runs"])
        name = folder.name
        groups = "/".join(str(int(r["groups"])) for r in rows)
        print(f"group_quality {name} lift ours {mean['lift_ours']:.4f} nats/vote (groups {groups})")
        print(
            f"group_quality {name} lift polis-exported {mean['lift_polis']:.4f} nats/vote "
            f"(groups {res['polis_groups']})"
        )
        print(
            f"group_quality {name} lift polis-procedure-cold {mean['lift_polis_cold']:.4f} "
            "nats/vote"
        )
        print(
            f"group_quality {name} lift ours-fitted-on-all-votes "
            f"{mean['lift_ours_in_sample']:.4f} nats/vote"
        )
        print(
            f"group_quality {name} coverage of polis-clustered "
            f"{mean['clustered_both'] / max(mean['clustered_polis'], 1):.3f}"
        )
        print(f"group_quality {name} ARI vs polis groups {mean['ari']:.3f}")
        print(
            f"group_quality {name} stability ARI across seeds ours {res['stability_ours']:.3f} "
            f"polis-procedure-cold {res['stability_cold']:.3f}"
        )
        steps = replay(folder, **params)
        if steps is not None:
            print(
                f"group_quality {name} recompute as votes arrive: same group id "
                f"{steps['warm_same']:.2f} warm-started vs {steps['cold_same']:.2f} cold; ARI "
                f"between consecutive analyses {steps['warm_ari']:.2f} vs {steps['cold_ari']:.2f}"
            )
    quality = group_quality(all_runs)
    seed_ratios = np.array(quality.seed_ratios)
    print(
        f"group_quality SUM lift ours {quality.lift_ours:.4f} vs polis-exported "
        f"{quality.lift_reference:.4f} (ratio {quality.ratio:.3f}; target >= 1)"
    )
    print(
        f"group_quality per-seed ratio min {seed_ratios.min():.3f} median "
        f"{np.median(seed_ratios):.3f} max {seed_ratios.max():.3f}"
    )
    print(
        f"group_quality SUM lift polis-procedure-cold {totals['lift_polis_cold']:.4f} "
        f"(ratio {totals['lift_polis_cold'] / quality.lift_reference:.3f})"
    )
    print(
        f"group_quality SUM lift ours-fitted-on-all-votes {totals['lift_ours_in_sample']:.4f} "
        f"(ratio {totals['lift_ours_in_sample'] / quality.lift_reference:.3f})"
    )
    print(f"group_quality max groups {quality.max_groups} (target <= 5)")
    print(
        f"group_quality coverage of polis-clustered participants (all conversations) "
        f"{quality.coverage:.3f} (target >= 0.90)"
    )
    print(
        f"group_quality seeds {' '.join(map(str, args.seeds))}; {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
