"""Speed and memory of the opinion-group pipeline, side by side with red-dwarf 0.4 (same votes).

Generates seeded synthetic conversations with planted groups (``benchmarks/_synthetic.py``):
33,422 participants × 783 statements × 2,000,000 votes (the shape of the largest known Pol.is
conversation) and 100,000 × 10,000 × 10,000,000. Each is written to a temporary .npz, then each
pipeline runs cold in its own fresh Python process on the same votes:

* ours: ``VoteMatrix.from_votes`` (latest vote wins) + ``analyze`` (no previous result);
* red-dwarf 0.4 (``pip install -e .[bench]``): ``reddwarf.implementations.polis.run_pipeline`` on
  the list of vote dicts it takes (building that list is not timed).

Timed: the pipeline only, after imports; ours is the median of 3 cold runs (no previous result)
in one process, since the shared 2-core machine is noisy (the first run is printed too), red-dwarf
runs once. Memory: the process's peak resident set size
(``ru_maxrss``, imports and input included). The planted groups are compared with each result by
the adjusted Rand index over clustered participants. Targets (2 cores): 33k ≤ 2.5 s, ≤ 600 MB,
≥ 20× faster than red-dwarf, ARI ≥ 0.95; 100k ≤ 30 s, ≤ 2 GB. red-dwarf builds a dense
participants × statements matrix; at 100k it runs under a 12 GB address-space limit and a
time limit, and its failure is reported as such.

    .venv/bin/python benchmarks/opinion_groups.py [--sizes 33k 100k] [--no-reddwarf]

Prints one line per figure.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SIZES = {
    "33k": (33_422, 783, 2_000_000),
    "100k": (100_000, 10_000, 10_000_000),
}
TARGETS = {"33k": (2.5, 600.0), "100k": (30.0, 2048.0)}
REDDWARF_LIMITS = {"33k": (None, 1800), "100k": (12 * 1024**3, 1800)}
RUNS = 3


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _ari(planted: np.ndarray, ids: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import adjusted_rand_score

    ok = labels >= 0
    return float(adjusted_rand_score(planted[ids[ok]], labels[ok]))


def worker_ours(npz: Path) -> dict:
    """Run our pipeline cold on the votes in ``npz``; return figures."""
    import clustering.groups  # noqa: F401  (imports are not timed)
    from clustering.opinion_groups import analyze
    from clustering.votes import VoteMatrix

    with np.load(npz) as npz_file:
        data = {key: npz_file[key] for key in npz_file.files}  # into memory before timing
    moderated = set(data["moderated_out"].tolist())
    rss_input = _peak_mb()
    runs = []
    for _ in range(RUNS):
        start = time.perf_counter()
        votes = VoteMatrix.from_votes(
            data["participant_ids"],
            data["statement_ids"],
            data["values"],
            order=data["timestamps"],
            moderated_out=moderated,
        )
        built = time.perf_counter()
        result = analyze(votes, random_state=0)
        runs.append((time.perf_counter() - start, built - start, result.timings))
        del votes
    peak = _peak_mb()
    seconds, matrix_seconds, stages = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    t = time.perf_counter()
    payload = json.dumps(result.to_dict())
    serialise = time.perf_counter() - t
    p = result.participants
    return {
        "seconds": seconds,
        "first_seconds": runs[0][0],
        "matrix_seconds": matrix_seconds,
        "stages": stages,
        "peak_mb": peak,
        "input_mb": rss_input,
        "ari": _ari(data["planted"], np.asarray(p.ids), np.asarray(p.group)),
        "groups": result.counts["n_groups"],
        "in_conv": result.counts["n_in_conv"],
        "serialise_seconds": serialise,
        "json_mb": len(payload) / 1e6,
    }


def worker_reddwarf(npz: Path) -> dict:
    """Run red-dwarf's Pol.is pipeline on the same votes; return figures."""
    import reddwarf
    from reddwarf.implementations.polis import run_pipeline

    with np.load(npz) as npz_file:
        data = {key: npz_file[key] for key in npz_file.files}
    votes = [
        {"participant_id": p, "statement_id": s, "vote": v, "modified": t}
        for p, s, v, t in zip(
            data["participant_ids"].tolist(),
            data["statement_ids"].tolist(),
            data["values"].tolist(),
            data["timestamps"].tolist(),
            strict=True,
        )
    ]
    rss_input = _peak_mb()
    start = time.perf_counter()
    result = run_pipeline(
        votes=votes, mod_out_statement_ids=sorted(data["moderated_out"].tolist()), random_state=0
    )
    seconds = time.perf_counter() - start
    labels = result.participants_df["cluster_id"]
    ok = labels.notna().to_numpy()
    ids = np.asarray(result.participants_df.index)[ok]
    lab = labels[ok].astype(int).to_numpy()
    from sklearn.metrics import adjusted_rand_score

    version = getattr(reddwarf, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version("red-dwarf")
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "input_mb": rss_input,
        "ari": float(adjusted_rand_score(data["planted"][ids], lab)),
        "groups": int(len(np.unique(lab))),
        "version": version,
    }


def _spawn(kind: str, npz: Path, limit_bytes: int | None, timeout: float) -> dict:
    def limit() -> None:
        if limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, str(npz)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=limit, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"failed ({tail[:160]})"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench(size: str, with_reddwarf: bool, tmp: Path) -> None:
    from _synthetic import make_conversation

    n, m, v = SIZES[size]
    label = f"opinion_groups {n}x{m}x{v}"
    conv = make_conversation(n, m, v, seed=0)
    npz = tmp / f"{size}.npz"
    np.savez(
        npz,
        participant_ids=conv.participant_ids,
        statement_ids=conv.statement_ids,
        values=conv.values,
        timestamps=conv.timestamps,
        moderated_out=np.array(sorted(conv.moderated_out), dtype=np.int64),
        planted=conv.planted,
    )
    del conv
    max_s, max_mb = TARGETS[size]
    ours = _spawn("ours", npz, None, 1800)
    if "error" in ours:
        print(f"{label} ours {ours['error']}")
        return
    print(
        f"{label} ours cold pipeline {ours['seconds']:.2f} s (target <= {max_s:g} s; median "
        f"of {RUNS} cold runs in one process, first {ours['first_seconds']:.2f} s)"
    )
    print(
        f"{label} ours peak memory {ours['peak_mb']:.0f} MB (target <= {max_mb:.0f} MB; "
        f"{ours['input_mb']:.0f} MB after imports and loading the votes)"
    )
    print(
        f"{label} ours planted-group ARI {ours['ari']:.3f} (target >= 0.95; "
        f"{ours['groups']} groups, {ours['in_conv']} clustered)"
    )
    stages = ", ".join(f"{k} {s:.3f}" for k, s in ours["stages"].items() if k != "total")
    print(f"{label} ours stages: matrix {ours['matrix_seconds']:.3f}, {stages} s")
    print(
        f"{label} ours to_dict+json.dumps {ours['serialise_seconds']:.2f} s "
        f"({ours['json_mb']:.1f} MB)"
    )
    if not with_reddwarf:
        return
    limit_bytes, timeout = REDDWARF_LIMITS[size]
    rd = _spawn("reddwarf", npz, limit_bytes, timeout)
    if "error" in rd:
        cap = f" under a {limit_bytes / 1024**3:.0f} GB limit" if limit_bytes else ""
        print(f"{label} red-dwarf {rd['error']}{cap}")
        return
    print(f"{label} red-dwarf {rd['version']} pipeline {rd['seconds']:.2f} s")
    print(
        f"{label} red-dwarf peak memory {rd['peak_mb']:.0f} MB "
        f"({rd['input_mb']:.0f} MB after imports and building its vote list)"
    )
    print(f"{label} red-dwarf planted-group ARI {rd['ari']:.3f} ({rd['groups']} groups)")
    print(f"{label} speed-up vs red-dwarf {rd['seconds'] / ours['seconds']:.1f}x (target >= 20x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["33k", "100k"])
    parser.add_argument("--no-reddwarf", action="store_true", help="skip the red-dwarf runs")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "NPZ"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, npz = args.worker
        figures = worker_ours(Path(npz)) if kind == "ours" else worker_reddwarf(Path(npz))
        print(json.dumps(figures))
        return 0
    with tempfile.TemporaryDirectory(prefix="consult-bench-") as tmp:
        for size in args.sizes:
            bench(size, not args.no_reddwarf, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
