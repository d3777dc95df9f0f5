"""Load test of the HTTP service on this machine (loopback only).

Starts `trialex serve` on 127.0.0.1 (or targets --url, which must be a loopback address),
then runs --clients concurrent clients, each sending --requests POST /v1/extract requests
over a kept-alive connection, with mixed Japanese and English abstracts read at run time
from ../shared/corpora (PMC trial abstracts for English, the MedTxt-CR-Ja-ADE case reports
for Japanese) or, where shared/ is absent, from annotations/*.jsonl.  Nothing is copied.

Bounded in count and time: every client stops after its requests or at --timeout seconds,
whichever comes first, and each request times out after 60 s.  Reports throughput, latency
percentiles, errors, and the server's resident memory (all its processes) before the run
(after loading and a warm-up), at its peak and after it.

    .venv/bin/python scripts/load_test.py                    # 8 clients x 2,000 requests, 2 workers
    .venv/bin/python scripts/load_test.py --workers 1 --requests 200 --json out.json
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from trialex.evaluation import corpus_texts

ROOT = Path(__file__).resolve().parent.parent


# -- texts --------------------------------------------------------------------------------


def load_texts(shared: Path, limit: int) -> tuple[list[str], list[str], str]:
    en_path = shared / "corpora" / "pmc-rct-abstracts" / "abstracts.jsonl"
    ja_dir = shared / "corpora" / "keepha-ja" / "MedTxt-CR-Ja-ADE-202211r"
    en: list[str] = []
    ja: list[str] = []
    source = "shared corpora"
    if en_path.exists():
        en = list(corpus_texts(shared).values())[:limit]  # sealed ids left out
    if ja_dir.is_dir():
        ja = [p.read_text(encoding="utf-8") for p in sorted(ja_dir.glob("*.txt"))][:limit]
        gold = ROOT / "annotations" / "ja.jsonl"  # few case reports: add the project's own abstracts
        if ja and gold.exists():
            ja += [json.loads(line)["text"] for line in gold.read_text(encoding="utf-8").splitlines()
                   if line.strip() and isinstance(json.loads(line).get("text"), str)]
            source = "shared corpora + annotations/ja.jsonl"
    if not en or not ja:
        source = "annotations/*.jsonl"
        for path in sorted((ROOT / "annotations").glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                rec = json.loads(line)
                if isinstance(rec.get("text"), str) and rec["text"].strip():
                    is_ja = rec.get("lang") == "ja" or any("\u3040" <= c <= "\u30ff" for c in rec["text"][:200])
                    (ja if is_ja else en).append(rec["text"])
    en = [t for t in en if t.strip()]
    ja = [t for t in ja if t.strip()]
    if not en and not ja:
        raise SystemExit("no texts: neither ../shared/corpora nor annotations/*.jsonl has any")
    return en, ja, source


# -- server -------------------------------------------------------------------------------


def check_loopback(host: str) -> None:
    addrs = {info[4][0] for info in socket.getaddrinfo(host, None)}
    if not addrs or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs):
        raise SystemExit(f"refusing to load-test {host} ({', '.join(sorted(addrs))}): loopback addresses only")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * page
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.peak = max(self.peak, process_tree_rss(self.pid))


def request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None):
    headers = {"content-type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def wait_ready(host: str, port: int, proc: subprocess.Popen | None, timeout: float) -> float:
    t0 = time.perf_counter()
    ok_in_a_row = 0
    while time.perf_counter() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before it was ready")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            status, _ = request(conn, "GET", "/ready")
            conn.close()
            ok_in_a_row = ok_in_a_row + 1 if status == 200 else 0
            if ok_in_a_row >= 5:  # several workers may answer: ask a few times
                return time.perf_counter() - t0
        except OSError:
            ok_in_a_row = 0
        time.sleep(0.3)
    raise SystemExit(f"server not ready after {timeout:.0f}s")


# -- clients ------------------------------------------------------------------------------


class Client(threading.Thread):
    def __init__(self, idx: int, host: str, port: int, bodies: list[bytes], n: int, deadline: float) -> None:
        super().__init__(daemon=True)
        self.idx, self.host, self.port, self.bodies, self.n, self.deadline = idx, host, port, bodies, n, deadline
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.sent = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        for i in range(self.n):
            if time.perf_counter() > self.deadline:
                break
            body = self.bodies[(self.idx * 7919 + i) % len(self.bodies)]
            t0 = time.perf_counter()
            try:
                status, _ = request(conn, "POST", "/v1/extract", body)
                key = str(status)
            except (OSError, http.client.HTTPException) as exc:
                key = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.latencies.append(time.perf_counter() - t0)
            self.statuses[key] = self.statuses.get(key, 0) + 1
            self.sent += 1
        conn.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="target a running server (loopback only) instead of starting one")
    ap.add_argument("--workers", type=int, default=2, help="server worker processes when starting one (default 2)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=2000, help="requests per client (default 2,000)")
    ap.add_argument("--timeout", type=float, default=900, help="stop every client after this many seconds")
    ap.add_argument("--rounds", type=int, default=1, help="repeat the measured run (memory over time)")
    ap.add_argument("--warmup", type=int, default=100, help="requests before measuring (default 100)")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--max-chars", type=int, default=20_000, help="skip longer texts (default 20,000)")
    ap.add_argument("--chars", type=int, help="only texts within ±10%% of this many characters (e.g. 1500)")
    ap.add_argument("--ja-share", type=float, default=0.5, help="share of Japanese requests (default 0.5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="also write the report here")
    args = ap.parse_args()

    en, ja, source = load_texts(Path(args.shared), limit=5000)
    en = [t for t in en if len(t) <= args.max_chars]
    ja = [t for t in ja if len(t) <= args.max_chars]
    if args.chars:
        en, ja = ([t for t in texts if abs(len(t) - args.chars) <= args.chars / 10] for texts in (en, ja))
    rng = random.Random(args.seed)
    rng.shuffle(en)
    rng.shuffle(ja)
    # --ja-share of the requests Japanese, whatever the sizes of the two sets
    n = max(len(en), len(ja)) * 2
    mixed = [(ja[i % len(ja)], "ja") if ja and (not en or rng.random() < args.ja_share) else (en[i % len(en)], "en")
             for i in range(n)]
    bodies = [json.dumps({"text": t, "id": f"{lang}-{i}"}, ensure_ascii=False).encode("utf-8")
              for i, (t, lang) in enumerate(mixed)]
    share = sum(lang == "ja" for _, lang in mixed) / len(mixed)
    print(f"texts: {len(en)} English, {len(ja)} Japanese from {source}; {share:.0%} of requests Japanese; "
          f"mean {statistics.mean(len(t) for t, _ in mixed):.0f} characters a request", flush=True)

    proc = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        check_loopback(host)
        server_pid = None
    else:
        host, port = "127.0.0.1", free_port()
        env = dict(os.environ, TRIALEX_LOG_LEVEL="WARNING")
        cmd = [sys.executable, "-m", "trialex.cli", "serve", "--host", host, "--port", str(port),
               "--workers", str(args.workers), "--log-level", "warning"]
        proc = subprocess.Popen(cmd, env=env, start_new_session=True)
        server_pid = proc.pid
        print(f"server: {' '.join(cmd[2:])} (pid {proc.pid})", flush=True)
    try:
        ready_s = wait_ready(host, port, proc, timeout=180)
        print(f"ready after {ready_s:.1f}s", flush=True)
        warm = Client(0, host, port, bodies, args.warmup, time.perf_counter() + 120)
        warm.run()
        rss_before = process_tree_rss(server_pid) if server_pid else None
        sampler = RssSampler(server_pid) if server_pid else None
        if sampler:
            sampler.start()
        deadline = time.perf_counter() + args.timeout
        rounds = []
        for r in range(args.rounds):
            clients = [Client(i + 1 + r * args.clients, host, port, bodies, args.requests, deadline)
                       for i in range(args.clients)]
            t0 = time.perf_counter()
            for c in clients:
                c.start()
            for c in clients:
                c.join(max(1.0, deadline - time.perf_counter()) + 120)
            rounds.append(summarise(clients, time.perf_counter() - t0,
                                    process_tree_rss(server_pid) if server_pid else None))
            print(f"round {r + 1}: {json.dumps(rounds[-1])}", flush=True)
        if sampler:
            sampler.stop.set()
        health = request(http.client.HTTPConnection(host, port, timeout=10), "GET", "/health")[0]
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its workers: started by this script
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    total = rounds[0] if len(rounds) == 1 else {
        "sent": sum(x["sent"] for x in rounds), "errors": sum(x["errors"] for x in rounds)}
    report = {
        "clients": args.clients, "requests_per_client": args.requests, "rounds": args.rounds,
        "workers": None if args.url else args.workers,
        "texts": {"en": len(en), "ja": len(ja), "source": source, "ja_share": round(share, 2),
                  "mean_chars": round(statistics.mean(len(t) for t, _ in mixed))},
        **({"per_round": rounds} if len(rounds) > 1 else rounds[0]),
        "server_rss_mb": {"before": mb(rss_before), "peak": mb(sampler.peak if sampler else None),
                          "after": rounds[-1]["rss_after_mb"]},
        "health_after": health,
        "stopped_by_timeout": sum(x["sent"] for x in rounds) < args.rounds * args.clients * args.requests,
        "cores": os.cpu_count(),
    }
    print(json.dumps(report, indent=1), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0 if total["errors"] == 0 and health == 200 else 1


def mb(b: int | None) -> float | None:
    return round(b / 2**20, 1) if b else None


def summarise(clients: list[Client], wall: float, rss_after: int | None) -> dict:
    latencies = [x for c in clients for x in c.latencies]
    statuses: dict[str, int] = {}
    for c in clients:
        for k, v in c.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    sent = sum(c.sent for c in clients)
    return {
        "sent": sent, "ok": statuses.get("200", 0), "errors": sent - statuses.get("200", 0), "statuses": statuses,
        "wall_s": round(wall, 1), "throughput_rps": round(sent / wall, 1) if wall else None,
        "latency_ms": {q: round(percentile(latencies, p) * 1000, 1)
                       for q, p in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))},
        "rss_after_mb": mb(rss_after),
    }


if __name__ == "__main__":
    sys.exit(main())
