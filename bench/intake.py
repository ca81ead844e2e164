"""Intake over HTTP with concurrent clients: our full intake (classification, place resolution,
routing down the chain, events, SLA clocks) beside a bare Starlette + asyncpg insert, same run.

    python bench/intake.py        # ends with one JSON line

Throughput: as many tickets as --clients keep-alive connections can push for --seconds. Latency:
a fixed rate of 100 tickets/s for --seconds, each request timed from send to response. Both
servers run as the same number of web processes, each with its own socket (hotline/webserve.py),
and are driven by the same lean client (bench/http_load.py).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import http_load
from bench.system import ROOT, System, free_port, stop, system, wait_for_http

CALLS = [
    ("complaint", "柳岸花园楼下烧烤店每天营业到凌晨，噪音很大，老人孩子睡不着。", "东湖区柳岸花园"),
    ("help_request", "公司拖欠我们三个月工资，老板联系不上，请帮忙讨薪。", "东湖区东风路"),
    ("report", "小区一楼住户在绿地上私搭乱建彩钢房，占用公共空间。", "西岭区白云山庄"),
    ("complaint", "江湾一号小区物业费上涨没有公示，物业服务也很差。", "南江区江湾一号"),
    ("consultation", "孩子明年上小学，想咨询一下入学报名需要准备哪些材料。", ""),
    ("complaint", "滨江路路灯坏了一个多星期，晚上很黑，行人不安全。", "南江区滨江路"),
    ("complaint", "超市标价和结账价格不一致，多收了钱，属于价格欺诈。", "西岭区枫叶国际"),
    ("help_request", "桂园新村从早上开始停水，到现在还没有来水，也没有通知。", "东湖区桂园新村"),
]


def body(i: int) -> dict:
    kind, content, address = CALLS[i % len(CALLS)]
    return {
        "type": kind,
        "channel": "phone",
        "content": content,
        "address": address,
        "caller_phone": f"139{random.randint(10_000_000, 99_999_999)}",
        "caller_name": "测试",
    }


def pct(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1) if values else 0.0


def measure(bench: System, base: str, headers: dict[str, str], clients: int, seconds: float) -> dict[str, float]:
    def request(i: int) -> bytes:
        return http_load.post_json(base, "/api/tickets", body(i), headers)

    before = tickets_in_database(bench)
    _, warm_up, warm_up_errors = http_load.run(http_load.closed_loop(base, request, 4, 2))  # model, pools, caches
    per_s, answered, errors = http_load.run(http_load.closed_loop(base, request, clients, seconds))
    latencies, lat_errors = http_load.run(http_load.open_loop(base, request, 100, seconds))
    # every answer was a ticket really stored (the fast client must not count what never happened)
    made = tickets_in_database(bench) - before
    created = warm_up + answered + len(latencies) - warm_up_errors - errors - lat_errors
    if made != created:
        raise RuntimeError(f"{made} tickets stored for {created} answers 2xx")
    p50, p99 = pct(latencies, 50), pct(latencies, 99)
    return {"per_s": round(per_s, 1), "errors": errors + lat_errors, "p50": p50, "p99": p99}


def operator_headers(base: str) -> dict[str, str]:
    """The call-taker's bearer header for POST /api/tickets."""
    answer = httpx.post(f"{base}/api/auth/login", json={"username": "operator", "password": "demo12345", "kind": "api"})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def tickets_in_database(bench: System) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(bench.database_url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM tickets"))
        finally:
            await conn.close()

    return http_load.run(count())


def run_server(bench: System, ours: bool, processes: int, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """Either server behind the same web process machinery (hotline/webserve.py: one socket per process)."""
    port = free_port()
    if ours:
        proc = bench.start("web", "--port", str(port), HOTLINE_WEB_PROCESSES=str(processes), **env)
    else:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.baseline_app", str(port), str(processes)],
            env=bench.environ(),
            cwd=ROOT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base}/openapi.json" if ours else base)
    return proc, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2, help="web processes for each server")
    args = parser.parse_args()
    random.seed(1)
    results: dict[str, dict] = {}
    with system() as bench:
        for name, ours in (("baseline", False), ("ours", True)):
            proc, base = run_server(bench, ours, args.processes)
            try:
                headers = operator_headers(base) if ours else {}
                results[name] = measure(bench, base, headers, args.clients, args.seconds)
                print(
                    f"{name:9s} {results[name]['per_s']:8.1f} tickets/s   at 100/s: p50 {results[name]['p50']} ms, "
                    f"p99 {results[name]['p99']} ms, errors {results[name]['errors']}"
                )
            finally:
                stop(proc)
    ours, base_r = results["ours"], results["baseline"]
    print(
        json.dumps(
            {
                "tickets_per_s": ours["per_s"],
                "baseline_tickets_per_s": base_r["per_s"],
                "p50_ms_at_100": ours["p50"],
                "p99_ms_at_100": ours["p99"],
                "baseline_p50_ms_at_100": base_r["p50"],
                "baseline_p99_ms_at_100": base_r["p99"],
                "errors": ours["errors"],
                "baseline_errors": base_r["errors"],
                "clients": args.clients,
                "seconds": args.seconds,
                "web_processes": args.processes,
            }
        )
    )


if __name__ == "__main__":
    main()
