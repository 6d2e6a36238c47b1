"""``make bench``: this library against raw grpcio and Apache's dubbo-python, same run.

Every run is a fresh server process and a fresh client process on 127.0.0.1 (a free
port), pinned to one CPU each when the machine has two or more. Implementations are
interleaved within each repeat (A B C D, the start rotating), so slow drift on a
shared machine hits all of them alike. Prints a markdown table of medians and writes
every run to bench/results/ as JSON.

    python bench/run.py [--quick] [--reps 3] [--scale 1.0] [--no-pin] [--rows dubbo,grpcio-sync]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from common import WORKLOADS  # noqa: E402

# Timed-pass sizes: 1-3 s each for raw grpcio here; the same N for every implementation.
N_FULL = {
    "unary": 4000,
    "unary_c8": 12000,
    "server_stream": 60000,
    "client_stream": 60000,
    "bidi_pingpong": 8000,
    "bidi_bulk": 30000,
    "unary_1mib": 600,
    "server_stream_4k": 50000,
    "client_stream_4k": 50000,
    "bidi_bulk_4k": 25000,
    "pb_unary": 4000,
    "pb_unary_c8": 12000,
    "pb_server_stream": 60000,
    "pb_client_stream": 60000,
    "pb_bidi_pingpong": 8000,
    "pb_bidi_bulk": 30000,
    "pb_unary_1mib": 600,
    "write_server_stream": 60000,
    "write_bidi_pingpong": 8000,
    "write_bidi_bulk": 30000,
    "cpu_unary_c8": 6000,
    "pojo_unary": 4000,
    "hessian_unary": 4000,
}

# row name -> (server impl, client impl, which interpreter). "main" is this library's
# venv (also raw grpcio); "apache" is the separate venv where `dubbo` is Apache's.
ROWS = {
    "dubbo": ("dubbo", "dubbo", "main"),
    "dubbo.aio": ("dubbo_aio", "dubbo_aio", "main"),
    "grpcio-sync": ("grpc_sync", "grpc_sync", "main"),
    "grpcio-aio": ("grpc_aio", "grpc_aio", "main"),
    "apache-dubbo": ("apache", "apache", "apache"),
}
# Mixed stacks that explain the gaps: which side costs what, and grpcio's fastest mix.
DIAGNOSTIC_ROWS = {
    "grpcio S:aio C:sync+ST": ("grpc_aio", "grpc_sync_st", "main"),
    "grpcio S:sync C:sync+ST": ("grpc_sync", "grpc_sync_st", "main"),
    "grpcio S:sync C:aio": ("grpc_sync", "grpc_aio", "main"),
    "dubbo S + grpcio C:sync+ST": ("dubbo", "grpc_sync_st", "main"),
    "grpcio S:sync + dubbo C": ("grpc_sync", "dubbo", "main"),
    # What a user of this library can pick today: async handlers on dubbo.aio.Server
    # with the sync client (ST reader), and the sync server with the dubbo.aio client.
    "dubbo.aio S + dubbo C": ("dubbo_aio", "dubbo", "main"),
    "dubbo S + dubbo.aio C": ("dubbo", "dubbo_aio", "main"),
}
DIAGNOSTIC_WORKLOADS = ("unary", "server_stream", "client_stream", "bidi_pingpong", "bidi_bulk")
# Serving one port from several processes (dubbo.Server(processes=N)): the CPU-bound
# workloads only, with the server free to use every CPU (the client still on CPU 1), so
# the two rows differ only in the number of processes.
SCALING_ROWS = {
    "dubbo 1 process": ("dubbo_any_cpu", "dubbo", "main"),
    "dubbo 2 processes": ("dubbo_p2", "dubbo", "main"),
}
SCALING_WORKLOADS = ("cpu_unary_c8",)
SERVER_CPUS = {"dubbo_any_cpu": "0,1", "dubbo_p2": "0,1"}
# Java interface calls (Triple's wrapper mode) against an IDL call carrying the same 5-field user: only this
# library serves both, so only its sync row runs them, and the table adds their ratio (same row, same repeat).
WRAPPER_PAIR = ("hessian_unary", "pojo_unary")
WRAPPER_ROW = "dubbo"
GRPCIO = ("grpcio-sync", "grpcio-aio")
OURS = ("dubbo", "dubbo.aio")
APACHE = "apache-dubbo"


def _has_dubbo_aio(python: str) -> bool:
    if not os.path.exists(os.path.join(HERE, "impl_dubbo_aio.py")):
        return False
    probe = subprocess.run([python, "-c", "import dubbo.aio"], env=_env("main"), capture_output=True)
    return probe.returncode == 0


def _has_protobuf(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import google.protobuf"], capture_output=True)
    return probe.returncode == 0


def _env(which: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if which == "main":  # this checkout's dubbo, even without an editable install
        env["PYTHONPATH"] = ROOT
    return env


class Runner:
    def __init__(self, pythons: Dict[str, str], pin: bool, timeout: float) -> None:
        self.pythons = pythons
        self.pin = pin
        self.timeout = timeout

    def _cmd(self, which: str, cpu: str, *args: str) -> List[str]:
        cmd = [self.pythons[which], os.path.join(HERE, "worker.py"), *args]
        return ["taskset", "-c", cpu, *cmd] if self.pin else cmd

    def run(self, row: str, spec: tuple, workload: str, n: int) -> Dict[str, Any]:
        server_impl, client_impl, which = spec
        record: Dict[str, Any] = {"row": row, "workload": workload, "n": n, "status": "ok"}
        server = subprocess.Popen(
            self._cmd(which, SERVER_CPUS.get(server_impl, "0"), "server", server_impl),
            env=_env(which),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            port = self._read_port(server)
            if port is None:
                record.update(status="error", error="server did not start: " + _tail(server.stderr.read()))
                return record
            started = time.perf_counter()
            client = subprocess.Popen(
                self._cmd(which, "1", "client", client_impl, str(port), workload, str(n)),
                env=_env(which),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                stdout, stderr = client.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                # Stalled (both processes idle) or merely slow (still burning CPU)?
                busy = _cpu_seconds(client.pid, server.pid, window=1.0)
                client.kill()
                client.communicate()
                status = "stalled" if busy < 0.05 else "too slow"
                record.update(status=status, error=f"no result within {self.timeout:.0f} s; CPU use in the last second {busy:.2f} s")
                return record
            client = subprocess.CompletedProcess(client.args, client.returncode, stdout, stderr)
            record["wall_s"] = round(time.perf_counter() - started, 3)
            result = _result_line(client.stdout)
            if client.returncode != 0 or result is None:
                record.update(status="error", error=_tail(client.stderr))
                return record
            record["client_rss_kib"] = result.pop("peak_rss_kib")
            record.update(result)
            try:  # closing its stdin (communicate does) stops the server
                out, _ = server.communicate(timeout=10)
                report = _result_line(out)
                if report:
                    record["server_rss_kib"] = report["peak_rss_kib"]
            except subprocess.TimeoutExpired:
                pass
            return record
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()

    def _read_port(self, server: subprocess.Popen) -> Optional[int]:
        box: List[str] = []
        reader = threading.Thread(target=lambda: box.append(server.stdout.readline()), daemon=True)
        reader.start()
        reader.join(30)
        if not box or not box[0].startswith("PORT "):
            server.kill()
            return None
        return int(box[0].split()[1])


def _cpu_seconds(*pids: int, window: float) -> float:
    """CPU seconds the processes use over the next ``window`` seconds (Linux /proc)."""

    def total() -> float:
        ticks = 0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        return ticks / os.sysconf("SC_CLK_TCK")

    before = total()
    time.sleep(window)
    return total() - before


def _result_line(text: str) -> Optional[Dict[str, Any]]:
    for line in reversed((text or "").splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return None


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join((text or "").strip().splitlines()[-lines:])


# --- summary -------------------------------------------------------------------------


def _median_spread(values: List[float]) -> tuple:
    med = statistics.median(values)
    half = (max(values) - min(values)) / 2
    return med, (100 * half / med if med else 0.0)


def _by_rep(records: List[Dict[str, Any]], key: str = "rate") -> Dict[tuple, Dict[int, float]]:
    table: Dict[tuple, Dict[int, float]] = {}
    for r in records:
        if r["status"] == "ok" and key in r:
            table.setdefault((r["workload"], r["row"]), {})[r["rep"]] = r[key]
    return table


def _ratio(mine: Dict[int, float], ref_reps: List[Dict[int, float]], pick, invert: bool) -> Optional[float]:
    """Median over repeats of mine / reference, each repeat against its own reference."""
    ratios = []
    for rep, value in mine.items():
        refs = [r[rep] for r in ref_reps if rep in r]
        if not refs or not value:
            continue
        ref = pick(refs)
        ratios.append(ref / value if invert else value / ref)
    return statistics.median(ratios) if ratios else None


def _pair_ratio(records: List[Dict[str, Any]], row: str, workload: str, reference: str) -> Optional[float]:
    """Median over repeats of one workload's rate over another's, both on ``row`` in that repeat."""
    table = _by_rep(records)
    mine, ref = table.get((workload, row), {}), table.get((reference, row), {})
    ratios = [mine[rep] / ref[rep] for rep in mine if ref.get(rep)]
    return statistics.median(ratios) if ratios else None


def summarize(records: List[Dict[str, Any]], rows: List[str], workloads: List[str]) -> Dict[str, Any]:
    metrics = [(w, "rate", WORKLOADS[w][2]) for w in workloads]
    if "unary" in workloads:
        i = workloads.index("unary") + 1
        metrics[i:i] = [("unary", "p50_us", "p50 µs"), ("unary", "p99_us", "p99 µs")]
    summary: Dict[str, Any] = {"cells": [], "memory": {}}
    for workload, key, unit in metrics:
        table = _by_rep(records, key)
        lower_is_better = key != "rate"
        pick = min if lower_is_better else max
        cells: Dict[str, Any] = {"workload": workload, "metric": key, "unit": unit, "values": {}, "ratios": {}}
        for row in rows:
            reps = table.get((workload, row))
            stalled = sum(
                1 for r in records if r["row"] == row and r["workload"] == workload and r["status"] == "stalled"
            )
            slow = sum(
                1 for r in records if r["row"] == row and r["workload"] == workload and r["status"] == "too slow"
            )
            errors = sum(1 for r in records if r["row"] == row and r["workload"] == workload and r["status"] == "error")
            if reps:
                med, spread = _median_spread(list(reps.values()))
                cells["values"][row] = {
                    "median": med, "spread_pct": spread, "reps": len(reps), "stalled": stalled, "too_slow": slow, "errors": errors,
                }
            elif stalled or slow or errors:
                n = next((r["n"] for r in records if r["row"] == row and r["workload"] == workload), 0)
                cells["values"][row] = {"median": None, "stalled": stalled, "too_slow": slow, "errors": errors, "n": n}
        grpcio = [table[(workload, g)] for g in GRPCIO if (workload, g) in table]
        apache = [table[(workload, APACHE)]] if (workload, APACHE) in table else []
        single = [table[(workload, "dubbo 1 process")]] if (workload, "dubbo 1 process") in table else []
        for row in rows:
            mine = table.get((workload, row))
            if not mine:
                continue
            cells["ratios"][row] = {
                "vs_grpcio": _ratio(mine, grpcio, pick, lower_is_better),
                "vs_apache": _ratio(mine, apache, pick, lower_is_better),
                "vs_dubbo": _ratio(mine, single, pick, lower_is_better),
            }
        summary["cells"].append(cells)
    for row in rows:
        mem: Dict[str, Any] = {}
        for side in ("server_rss_kib", "client_rss_kib"):
            small = [r[side] for r in records if r["row"] == row and r.get(side) and r["workload"] == "unary"]
            every = [r[side] for r in records if r["row"] == row and r.get(side)]
            mem[side] = {
                "unary_median_mib": statistics.median(small) / 1024 if small else None,
                "max_mib": max(every) / 1024 if every else None,
            }
        summary["memory"][row] = mem
    return summary


def _fmt_rate(value: Optional[float]) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _fmt_cell(cell: Optional[Dict[str, Any]]) -> str:
    if cell is None:
        return "–"
    if cell["median"] is None:
        if cell["stalled"]:
            return "stalled"
        if cell.get("too_slow"):  # an upper bound: n in more than the timeout
            return f"< {cell['n'] / TIMEOUT_SHOWN[0]:,.0f} (timed out)"
        return "error"
    text = f"{_fmt_rate(cell['median'])} ±{cell['spread_pct']:.0f}%"
    if cell.get("stalled"):
        text += f" ({cell['stalled']} stalled)"
    return text


TIMEOUT_SHOWN = [40.0]  # the per-run timeout, for the bound shown when a run timed out busy


def _fmt_ratio(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.2f}×"


def markdown(summary: Dict[str, Any], rows: List[str], ratio_rows: List[str]) -> str:
    main_rows = [r for r in rows if r not in DIAGNOSTIC_ROWS and r not in SCALING_ROWS]
    head = ["workload", "unit", *main_rows]
    for row in ratio_rows:
        head += [f"{row} ÷ grpcio", f"{row} ÷ apache"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cells in summary["cells"]:
        line = [cells["workload"] if cells["metric"] == "rate" else f"{cells['workload']} latency", cells["unit"]]
        line += [_fmt_cell(cells["values"].get(row)) for row in main_rows]
        for row in ratio_rows:
            ratio = cells["ratios"].get(row, {})
            line += [_fmt_ratio(ratio.get("vs_grpcio")), _fmt_ratio(ratio.get("vs_apache"))]
        lines.append("| " + " | ".join(line) + " |")
    lines.append("")
    lines.append("| peak RSS, MiB | " + " | ".join(main_rows) + " |")
    lines.append("|" + "---|" * (len(main_rows) + 1))
    for side, label in (("server_rss_kib", "server"), ("client_rss_kib", "client")):
        for key, what in (("unary_median_mib", "unary 100 B"), ("max_mib", "max over workloads")):
            vals = [summary["memory"].get(row, {}).get(side, {}).get(key) for row in main_rows]
            lines.append(f"| {label}, {what} | " + " | ".join("–" if v is None else f"{v:.0f}" for v in vals) + " |")
    scaling = [r for r in rows if r in SCALING_ROWS]
    if scaling:
        lines += ["", "Several server processes on one port (the server's workers on every CPU):", ""]
        lines += ["| workload | configuration | rate | ÷ 1 process | ÷ grpcio (server on CPU 0) |", "|---|---|---|---|---|"]
        for cells in summary["cells"]:
            for row in scaling:
                if row in cells["values"]:
                    ratios = cells["ratios"].get(row, {})
                    lines.append(
                        f"| {cells['workload']} | {row} | {_fmt_cell(cells['values'][row])} {cells['unit']} | "
                        f"{_fmt_ratio(ratios.get('vs_dubbo'))} | {_fmt_ratio(ratios.get('vs_grpcio'))} |"
                    )
    diagnostic = [r for r in rows if r in DIAGNOSTIC_ROWS]
    if diagnostic:
        lines += ["", "Mixed stacks (S: server, C: client, ST: SingleThreadedUnaryStream):", ""]
        lines += ["| workload | configuration | rate | ÷ grpcio |", "|---|---|---|---|"]
        for cells in summary["cells"]:
            if cells["metric"] != "rate":
                continue
            for row in diagnostic:
                if row in cells["values"]:
                    ratio = cells["ratios"].get(row, {}).get("vs_grpcio")
                    lines.append(
                        f"| {cells['workload']} | {row} | {_fmt_cell(cells['values'][row])} {cells['unit']} | {_fmt_ratio(ratio)} |"
                    )
    return "\n".join(lines)


def _source() -> str:
    """The commit measured, and whether the library's files differ from it."""
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "dubbo"], capture_output=True, text=True)
    except OSError:
        return "unknown"
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    return head.stdout.strip() + (" with uncommitted changes in dubbo/" if dirty.stdout.strip() else "")


def machine(pythons: Dict[str, str], pin: bool) -> Dict[str, Any]:
    def out(cmd: List[str], env=None) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    main = pythons["main"]
    info = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": out([main, "-c", "import platform; print(platform.python_version())"]),
        "grpcio": out([main, "-c", "import grpc; print(grpc.__version__)"], _env("main")),
        "protobuf": out([main, "-c", "import google.protobuf as p; print(p.__version__)"], _env("main")),
        "source": _source(),
        "pinned": "server on CPU 0, client on CPU 1 (taskset)" if pin else "no",
        "loadavg_start": os.getloadavg(),
    }
    if "apache" in pythons:
        info["apache_dubbo"] = out(
            [pythons["apache"], "-c", "from importlib.metadata import version; print(version('apache-dubbo'))"]
        )
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, N/8, no diagnostic rows")
    parser.add_argument("--reps", type=int, default=None, help="repeats (default 3, quick 1)")
    parser.add_argument("--scale", type=float, default=None, help="multiply every N (default 1, quick 1/8)")
    parser.add_argument("--rows", default=None, help="comma-separated rows (default: all main rows)")
    parser.add_argument("--diagnostics", action="store_true", help="add the mixed-stack rows (100 B workloads only)")
    parser.add_argument("--workloads", default=None, help="comma-separated workloads (default: all)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server/client to CPUs 0/1")
    parser.add_argument("--timeout", type=float, default=None, help="per-run stall timeout, s (default 40, quick 20)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with this library and grpcio")
    parser.add_argument("--apache-python", default=os.path.join(HERE, ".venv-apache", "bin", "python"))
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()

    reps = args.reps or (1 if args.quick else 3)
    scale = args.scale or (1 / 8 if args.quick else 1.0)
    timeout = args.timeout or (20.0 if args.quick else 40.0)
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    pythons = {"main": args.python}
    if os.path.exists(args.apache_python):
        pythons["apache"] = args.apache_python

    all_rows = {**ROWS, **SCALING_ROWS}
    if args.diagnostics:
        all_rows.update(DIAGNOSTIC_ROWS)
    if args.rows:
        names = [r.strip() for r in args.rows.split(",") if r.strip()]
        all_rows = {name: {**ROWS, **SCALING_ROWS, **DIAGNOSTIC_ROWS}[name] for name in names}
    if not _has_dubbo_aio(args.python):
        for name in [n for n, spec in all_rows.items() if "dubbo_aio" in spec]:
            print(f"{name}: dubbo.aio is not available (no dubbo.aio module or bench/impl_dubbo_aio.py); row skipped")
            del all_rows[name]
    if APACHE in all_rows and "apache" not in pythons:
        print(f"apache-dubbo: no interpreter at {args.apache_python} (make bench installs it); row skipped")
        del all_rows[APACHE]
    rows = list(all_rows)
    workloads = args.workloads.split(",") if args.workloads else list(N_FULL)
    sizes = {w: max(16, int(N_FULL[w] * scale)) for w in workloads}

    info = machine(pythons, pin)
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}; python {info['python']}, grpcio {info['grpcio']}; pinned: {info['pinned']}")
    print(f"rows: {', '.join(rows)}; {reps} repeat(s); N: {sizes}")
    if not rows:
        sys.exit("no rows to run")
    TIMEOUT_SHOWN[0] = timeout
    runner = Runner(pythons, pin, timeout)
    gave_up: set = set()
    records: List[Dict[str, Any]] = []
    t0 = time.perf_counter()
    apache_pb = "apache" in pythons and _has_protobuf(pythons["apache"])

    def runs(row: str, workload: str) -> bool:
        if workload in WRAPPER_PAIR:
            return row == WRAPPER_ROW
        if row in DIAGNOSTIC_ROWS:
            return workload in DIAGNOSTIC_WORKLOADS
        if row in SCALING_ROWS:
            return workload in SCALING_WORKLOADS
        return row != APACHE or apache_pb or WORKLOADS[workload][3] != "pb"

    plan = {w: [r for r in rows if runs(r, w)] for w in workloads}
    workloads = [w for w in workloads if plan[w]]
    total = reps * sum(len(p) for p in plan.values())
    for rep in range(reps):
        for wi, workload in enumerate(workloads):
            these = plan[workload]
            shift = (rep + wi) % len(these)
            for row in these[shift:] + these[:shift]:
                if (row, workload) in gave_up:
                    continue
                record = runner.run(row, all_rows[row], workload, sizes[workload])
                if record["status"] in ("stalled", "too slow"):
                    gave_up.add((row, workload))  # not retried: another timeout says nothing new
                record["rep"] = rep
                records.append(record)
                status = f"{record['rate']:,.0f} {record['unit']}" if record["status"] == "ok" else record["status"] + " " + record.get("error", "")
                print(f"[{len(records)}/{total} {time.perf_counter() - t0:5.0f}s] rep {rep} {workload:17} {row:26} {status}", flush=True)

    info["loadavg_end"] = os.getloadavg()
    info["elapsed_s"] = round(time.perf_counter() - t0, 1)
    summary = summarize(records, rows, workloads)
    table = markdown(summary, rows, [r for r in rows if r in OURS])
    wrapper_ratio = _pair_ratio(records, WRAPPER_ROW, *WRAPPER_PAIR)
    if wrapper_ratio is not None:
        summary["wrapper_vs_idl"] = wrapper_ratio
        table += (
            f"\n\n{WRAPPER_PAIR[0]} / {WRAPPER_PAIR[1]} ({WRAPPER_ROW}): {wrapper_ratio:.2f}, "
            "the median of per-repeat ratios (wrapper mode's rate over the IDL call's)"
        )
    command = " ".join(["bench/run.py", *sys.argv[1:]])
    header = (
        f"{info['nproc']} CPUs ({info['cpu']}), python {info['python']}, grpcio {info['grpcio']}, "
        f"apache-dubbo {info.get('apache_dubbo', '–')}; library at {info['source']}; pinned: {info['pinned']}; {reps} repeat(s), "
        f"medians ±half range; ratios are medians of per-repeat ratios (>1: faster), 'grpcio' is the "
        f"faster of grpcio-sync and grpcio-aio in that repeat; load average {info['loadavg_start'][0]:.1f} → "
        f"{info['loadavg_end'][0]:.1f}; {info['elapsed_s']:.0f} s."
    )
    print()
    print(header)
    print()
    print(table)
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    document = {"command": command, "machine": info, "reps": reps, "n": sizes, "rows": {r: all_rows[r] for r in rows},
                "records": records, "summary": summary, "markdown": header + "\n\n" + table}
    for name in (f"bench-{stamp}.json", "latest.json"):
        with open(os.path.join(args.out, name), "w") as f:
            json.dump(document, f, indent=1)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(header + "\n\n" + table + "\n")
    print(f"\nwrote {os.path.join(args.out, f'bench-{stamp}.json')}")


if __name__ == "__main__":
    main()
