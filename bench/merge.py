"""Pool several ``bench/run.py`` result files of the same code into one table.

On a shared, noisy machine one run's three repeats can be hit by someone else's load;
pooling back-to-back runs gives more repeats per cell. Repeats stay paired within their run.

    python bench/merge.py bench/results/bench-A.json bench/results/bench-B.json
"""

from __future__ import annotations

import json
import sys

import run


def main(paths) -> None:
    records, rows, workloads, machines = [], [], [], []
    offset = 0
    for path in paths:
        with open(path) as f:
            document = json.load(f)
        for record in document["records"]:
            records.append({**record, "rep": record["rep"] + offset})
        offset += document["reps"]
        rows += [r for r in document["rows"] if r not in rows]
        workloads += [w for w in document["n"] if w not in workloads]
        machines.append(document["machine"])
    run.TIMEOUT_SHOWN[0] = 40.0
    summary = run.summarize(records, rows, workloads)
    table = run.markdown(summary, rows, [r for r in rows if r in run.OURS])
    loads = ", ".join(f"{m['loadavg_start'][0]:.1f} → {m['loadavg_end'][0]:.1f}" for m in machines)
    print(f"{len(paths)} runs pooled, {offset} repeats; load average per run: {loads}\n")
    print(table)


if __name__ == "__main__":
    main(sys.argv[1:])
