#!/usr/bin/env python3
"""Benchmarks of jianfu against anchors measured in the same run; writes bench/REPORT.md.

Anchors (bench/anchors): axum hello-world, and axum + a bare sqlx SQLite point read of the same
`region` table. Product: GET /api/v1/regions/{code} on random Tianjin village codes. Load comes
from wrk on loopback, bounded in time. Also measured: server start-up, resident memory, and the
national region import on SQLite, PostgreSQL and MySQL (when those servers answer).

Usage: python3 bench/run.py [--duration 10] [--connections 64] [--national DIR] [--skip-national]
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = ROOT / "target" / "release" / "jianfu"
ANCHORS = ROOT / "target" / "release" / "jianfu-bench-anchors"
AUDIT = ROOT / "target" / "release" / "jianfu-bench-audit"
CATALOG = ROOT / "target" / "release" / "jianfu-bench-catalog"
PG_ADMIN = os.environ.get("JIANFU_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
MY_ADMIN = os.environ.get("JIANFU_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def wait_ready(url, proc, timeout=30.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.005)
    raise SystemExit(f"{url} not ready")


# Every server started, so that a run that fails part-way leaves none behind to answer (and be
# measured by) the next run.
SPAWNED = []


def spawn(args, env=None):
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "JIANFU_LOG": "warn", **(env or {})})
    SPAWNED.append(proc)
    return proc


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    return rss / 1024, hwm / 1024


def wrk(url, codes_file, prefix, duration, connections):
    env = {**os.environ, "CODES_FILE": str(codes_file), "PREFIX": prefix}
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
         "-s", str(ROOT / "bench" / "random-codes.lua"), url],
        check=True, capture_output=True, text=True, env=env).stdout
    result = json.loads(out.split("JSON ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def national_import(label, url, folder):
    """Imports the whole country into a fresh database; returns (seconds, peak MB, output)."""
    t = subprocess.run(
        ["/usr/bin/time", "-f", "TIME %e %M", str(BIN), "import", "regions", str(folder),
         "--db", url, "--key-file", str(OUT / "keys.json"), "--valid-from", "2023-06-30"],
        capture_output=True, text=True, env={**os.environ, "JIANFU_LOG": "warn"})
    if t.returncode != 0:
        return None, None, (t.stdout + t.stderr)[-500:]
    secs, kb = re.search(r"TIME ([\d.]+) (\d+)", t.stderr).groups()
    summary = next((l for l in t.stdout.splitlines() if l.startswith("导入完成")), "")
    return float(secs), int(kb) / 1024, summary


def server_db(kind, admin, name, create):
    """Creates (create=True) or drops a database on the PostgreSQL/MySQL server; None if absent."""
    if kind == "pg":
        sql = f"CREATE DATABASE {name}" if create else f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        cmd = ["psql", "-q", admin, "-c", sql]
    else:
        sql = (f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" if create
               else f"DROP DATABASE IF EXISTS {name}")
        cmd = ["mariadb", "-h", "127.0.0.1", "-uroot", "-e", sql]
    ok = subprocess.run(cmd, capture_output=True).returncode == 0
    return admin.rsplit("/", 1)[0] + "/" + name if ok else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--national", default=str(ROOT.parent / "shared" / "data" / "admin-divisions"))
    ap.add_argument("--skip-national", action="store_true")
    ap.add_argument("--audit-writes", type=int, default=20000)
    ap.add_argument("--audit-records", type=int, default=1_000_000)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    print("== building release binaries", flush=True)
    sh("cargo", "build", "--release", "--locked", "-p", "jianfu", "-p", "jianfu-bench-anchors",
       "-p", "jianfu-bench-audit", "-p", "jianfu-bench-catalog", cwd=ROOT)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    data = OUT / "data"
    sh(str(BIN), "migrate", "--data-dir", str(data), env={**os.environ, "JIANFU_LOG": "warn"},
       stdout=subprocess.DEVNULL)
    codes = OUT / "village-codes.txt"
    with open(ROOT / "data" / "regions" / "tianjin-2023.csv", encoding="utf-8") as f:
        villages = [l.split(",")[0] for l in f if ",village," in l]
    codes.write_text("\n".join(villages) + "\n")
    hello_codes = OUT / "hello.txt"
    hello_codes.write_text("\n")

    print("== start-up", flush=True)
    ready = []
    for i in range(5):
        p = spawn([str(BIN), "serve", "--data-dir", str(data), "--addr", "127.0.0.1:18090"])
        ready.append(wait_ready("http://127.0.0.1:18090/healthz", p))
        stop(p)
    ready_ms = statistics.median(ready) * 1000

    print("== throughput", flush=True)
    product = spawn([str(BIN), "serve", "--data-dir", str(data), "--addr", "127.0.0.1:18080"])
    hello = spawn([str(ANCHORS), "hello", "127.0.0.1:18081"])
    sqlite = spawn([str(ANCHORS), "sqlite-read", "127.0.0.1:18082", str(data / "jianfu.db")])
    tuned = spawn([str(ANCHORS), "sqlite-read", "127.0.0.1:18083", str(data / "jianfu.db"), "tuned"])
    wait_ready("http://127.0.0.1:18080/healthz", product)
    wait_ready("http://127.0.0.1:18081/", hello)
    wait_ready(f"http://127.0.0.1:18082/read/{villages[0]}", sqlite)
    wait_ready(f"http://127.0.0.1:18083/read/{villages[0]}", tuned)
    rss_idle = rss_mb(product.pid)[0]
    targets = [
        ("axum hello-world (anchor)", "http://127.0.0.1:18081", hello_codes, "/"),
        ("axum + bare SQLite point read (anchor)", "http://127.0.0.1:18082", codes, "/read/"),
        ("axum + bare SQLite point read, pool tuned like jianfu (second anchor)", "http://127.0.0.1:18083", codes, "/read/"),
        ("GET /api/v1/regions/{code} (jianfu)", "http://127.0.0.1:18080", codes, "/api/v1/regions/"),
    ]
    best = {}
    for rnd in range(args.rounds):
        for name, url, cf, prefix in targets:
            wrk(url, cf, prefix, 2, args.connections)  # warm-up
            r = wrk(url, cf, prefix, args.duration, args.connections)
            print(f"   round {rnd + 1}: {name}: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms", flush=True)
            if name not in best or r["rps"] > best[name]["rps"]:
                best[name] = r
    rss_loaded, rss_peak = rss_mb(product.pid)
    for p in (product, hello, sqlite, tuned):
        stop(p)

    national = []
    folder = Path(args.national)
    if not args.skip_national and folder.is_dir():
        print("== national import", flush=True)
        rows = 0
        for f in sorted(folder.glob("china-*.csv.gz")):
            rows += int(subprocess.run(f"zcat {f} | wc -l", shell=True, capture_output=True,
                                       text=True).stdout) - 1
        # Only the NBS level files: the folder may hold other tables (tianjin-2023.csv repeats codes).
        src = OUT / "national-src"
        src.mkdir()
        for f in sorted(folder.glob("china-*.csv.gz")):
            (src / f.name).symlink_to(f.resolve())
        folder = src
        nat_dir = OUT / "national"
        url = f"sqlite://{nat_dir / 'jianfu.db'}"
        national.append(("SQLite", 30, rows, *national_import("SQLite", url, folder)))
        for kind, admin, label, target in (("pg", PG_ADMIN, "PostgreSQL", 60), ("my", MY_ADMIN, "MySQL (MariaDB)", None)):
            name = "jianfu_bench_national"
            server_db(kind, admin, name, False)
            url = server_db(kind, admin, name, True)
            if url:
                national.append((label, target, rows, *national_import(label, url, folder)))
                server_db(kind, admin, name, False)
        for n in national:
            print(f"   {n[0]}: {n[3]} s, peak {n[4]} MB", flush=True)

    print("== audit log", flush=True)
    audit = []
    targets = [("SQLite", f"sqlite://{OUT / 'audit' / 'jianfu.db'}")]
    pg = server_db("pg", PG_ADMIN, "jianfu_bench_audit", False) and server_db("pg", PG_ADMIN, "jianfu_bench_audit", True)
    if pg:
        targets.append(("PostgreSQL", pg))
    for label, url in targets:
        out = subprocess.run([str(AUDIT), url, str(args.audit_writes), str(args.audit_records)],
                             capture_output=True, text=True, check=True).stdout
        audit.append((label, json.loads(out.split("JSON ", 1)[1])))
        print(f"   {label}: {audit[-1][1]}", flush=True)
    if pg:
        server_db("pg", PG_ADMIN, "jianfu_bench_audit", False)

    print("== directories", flush=True)
    out = subprocess.run([str(CATALOG), f"sqlite://{OUT / 'catalog' / 'jianfu.db'}", "100000"],
                         capture_output=True, text=True, check=True).stdout
    catalog = json.loads(out.split("JSON ", 1)[1])
    print(f"   {catalog}", flush=True)

    write_report(args, best, ready_ms, rss_idle, rss_loaded, rss_peak, national, audit, catalog)


def write_report(args, best, ready_ms, rss_idle, rss_loaded, rss_peak, national, audit, catalog):
    anchor = best["axum + bare SQLite point read (anchor)"]["rps"]
    product = best["GET /api/v1/regions/{code} (jianfu)"]
    ratio = product["rps"] / anchor
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "?")
    lines = [
        "# jianfu benchmarks",
        "",
        f"Measured {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by `python3 bench/run.py` "
        f"on {os.cpu_count()} cores ({cpu}). wrk on loopback, 2 threads, {args.connections} connections, "
        f"{args.duration} s per target after a 2 s warm-up, best of {args.rounds} rounds; the load generator "
        "shares the 2 cores with the server, as every target does.",
        "",
        "## Throughput",
        "",
        "| target | req/s | p50 ms | p99 ms | errors | non-2xx | ratio to SQLite anchor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in best.items():
        lines.append(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['errors']} | {r['non2xx']} | {r['rps'] / anchor:.2f} |")
    met = ratio >= 0.8 and product["errors"] == 0 and product["non2xx"] == 0
    tuned = product["rps"] / best["axum + bare SQLite point read, pool tuned like jianfu (second anchor)"]["rps"]
    lines += [
        "",
        f"Target: GET /api/v1/regions/{{code}} ≥ 0.8 × the bare SQLite point-read anchor with 0 errors — "
        f"**{ratio:.2f} ×, {product['errors'] + product['non2xx']} errors: {'met' if met else 'NOT met'}**.",
        "",
        "The anchor is axum + sqlx with sqlx's default pool options (10 connections, a ping before each "
        "acquire) and the system allocator. jianfu turns that ping off for SQLite (a local file does not "
        "go stale) and runs on mimalloc; against an anchor with the same pool options jianfu reaches "
        f"**{tuned:.2f} ×**. What jianfu does beyond the anchor on every request: SeaORM's row mapping, "
        "request ids, tracing, and the domain types' checks.",
        "",
        "## Start-up and memory (Tianjin tree, SQLite)",
        "",
        "| measure | value | target |",
        "|---|---:|---|",
        f"| server ready after start (median of 5, process spawn → first 200 on /healthz) | {ready_ms:.0f} ms | ≤ 2,000 ms: {'met' if ready_ms <= 2000 else 'NOT met'} |",
        f"| resident memory, idle | {rss_idle:.1f} MB | |",
        f"| resident memory after the load above (peak) | {rss_loaded:.1f} MB ({rss_peak:.1f} MB) | ≤ 150 MB: {'met' if rss_peak <= 150 else 'NOT met'} |",
        "",
    ]
    if national:
        lines += [
            "## National import (all five NBS level files, `jianfu import regions FOLDER`)",
            "",
            "Into a fresh database (which first loads Tianjin, so those rows count as unchanged).",
            "",
            "| backend | rows | wall s | peak MB | target | result |",
            "|---|---:|---:|---:|---|---|",
        ]
        for label, target, rows, secs, mb, summary in national:
            if secs is None:
                lines.append(f"| {label} | {rows:,} | failed | | | {summary} |")
                continue
            verdict = "" if target is None else (
                f"≤ {target} s, ≤ 500 MB: {'met' if secs <= target and mb <= 500 else 'NOT met'}")
            lines.append(f"| {label} | {rows:,} | {secs:.1f} | {mb:.0f} | {verdict} | {summary} |")
        lines.append("")
    if audit:
        lines += [
            "## Audit log (`bench/audit`)",
            "",
            f"Two business writes, {args.audit_writes:,} of each, without and with the audit append in the same "
            "transaction, in 10 alternating rounds, while a chainer runs every 200 ms as in the server; an audited "
            "round ends once its records are chained, so chaining is counted. `insert` is one row in one "
            "transaction — the cheapest write there is, so the worst case for the audit's share; `step` has the "
            "shape of a workflow step (read the record, update it, insert its event row), as an adjustment, an "
            "admission or a delivery moves on. Then the chain is extended to "
            f"{args.audit_records:,} records and `audit::verify` timed over all of them.",
            "",
            "| backend | write | writes/s without audit | with audit | cost | target ≤ 20 % |",
            "|---|---|---:|---:|---:|---|",
        ]
        for label, r in audit:
            for write in ("insert", "step"):
                w = r[write]
                cost = 1 - w["audited_per_s"] / w["plain_per_s"]
                lines.append(
                    f"| {label} | {write} | {w['plain_per_s']:.0f} | {w['audited_per_s']:.0f} | {cost:.0%} | "
                    f"{'met' if cost <= 0.2 else 'NOT met'} |")
        lines += [
            "",
            "| backend | records verified | verify s | target ≤ 10 s |",
            "|---|---:|---:|---|",
        ]
        for label, r in audit:
            lines.append(
                f"| {label} | {r['records']:,} | {r['verify_s']:.1f} | "
                f"{'met' if r['verify_s'] <= 10 else 'NOT met'} |")
        lines += [
            "",
            "An append is one INSERT of a pending record in the business transaction (no lock, no read); "
            "the chainer moves pending records into the SM3 chain in batches after commit. Before this design "
            "an append was four statements under the head row's lock and cost 57 % (SQLite) and 51 % "
            "(PostgreSQL). On SQLite every statement is a round trip to the connection's worker thread in sqlx, "
            "and on this 2-core VM that round trip (waking a sleeping thread on another vCPU: `perf` shows the "
            "time in futex wake-ups and task switches, SQLite's own work is ~2 %) costs far more than SQLite's "
            "work; so the append costs about one statement's share of the write: a third of a one-row write, a "
            "sixth of a workflow step, plus ~3–6 % for chaining.",
            "",
            "Verify reads the chain in windows of 5,000 sequence numbers (both bounds, so PostgreSQL without "
            "fresh statistics cannot pick a plan that rescans to the head on every batch — that took 37.6 s "
            "before) and fetches the next window while hashing the current one on every core. SQLite hands "
            "every column value over from its worker thread as a separate copy, so there each record is read "
            "as one value packing its text columns with their byte lengths (12 copies a record took 11.1 s per "
            "million, 1 takes ~8 s).",
            "",
        ]
    lines += [
        "## Effective-directory lookup (`bench/catalog`)",
        "",
        f"{catalog['lookups']:,} lookups in process: the version in force on a random day (2019–2027) for a random "
        f"one of {catalog['units']:,} village-level units, with a district refinement narrowing every other item, "
        "over every version of every directory loaded as the server's cache holds them; each timed alone, "
        "against a hash-map lookup of a refinement timed the same way.",
        "",
        "| measure | p50 µs | p99 µs | target |",
        "|---|---:|---:|---|",
        f"| effective lookup | {catalog['p50_us']:.2f} | {catalog['p99_us']:.2f} | p50 ≤ 50 µs: "
        f"{'met' if catalog['p50_us'] <= 50 else 'NOT met'} |",
        f"| hash-map lookup (anchor) | {catalog['anchor_p50_us']:.3f} | {catalog['anchor_p99_us']:.3f} | |",
        "",
    ]
    (ROOT / "bench" / "REPORT.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        for proc in SPAWNED:
            if proc.poll() is None:
                proc.kill()
