"""Intake over HTTP with concurrent clients: our full intake (classification, place resolution,
routing down the chain, events, SLA clocks) beside a bare Starlette + asyncpg insert, same run.

    python bench/intake.py        # ends with one JSON line

Throughput: as many tickets as the clients can push for --seconds. Latency: a fixed rate of
100 tickets/s for --seconds, each request timed from send to response.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


async def throughput(base: str, headers: dict, clients: int, seconds: float) -> tuple[float, int]:
    done = errors = 0
    stop_at = time.perf_counter() + seconds

    async def client(http: httpx.AsyncClient, n: int) -> None:
        nonlocal done, errors
        i = n
        while time.perf_counter() < stop_at:
            response = await http.post("/api/tickets", json=body(i), headers=headers)
            done, errors = done + 1, errors + (response.status_code != 201)
            i += clients

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http, n) for n in range(clients)))
        return done / (time.perf_counter() - started), errors


async def latency_at(base: str, headers: dict, rate: float, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0

    async def one(http: httpx.AsyncClient, i: int) -> None:
        nonlocal errors
        started = time.perf_counter()
        response = await http.post("/api/tickets", json=body(i), headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        errors += response.status_code != 201

    async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=200), timeout=30) as http:
        tasks, start = [], time.perf_counter()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(http, i)))
        await asyncio.gather(*tasks)
    return latencies, errors


def pct(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1) if values else 0.0


def run_server(bench: System, ours: bool, processes: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    if ours:
        proc = bench.start("web", "--port", str(port), HOTLINE_WEB_PROCESSES=str(processes))
    else:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.baseline_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--workers",
                str(processes),
            ],
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
        token = None
        for name, ours in (("baseline", False), ("ours", True)):
            proc, base = run_server(bench, ours, args.processes)
            try:
                headers = {}
                if ours:
                    token = httpx.post(
                        f"{base}/api/auth/login", json={"username": "operator", "password": "demo12345", "kind": "api"}
                    ).json()["token"]
                    headers = {"Authorization": f"Bearer {token}"}
                asyncio.run(throughput(base, headers, 4, 2))  # warm-up: model, pools, caches
                per_s, errors = asyncio.run(throughput(base, headers, args.clients, args.seconds))
                latencies, lat_errors = asyncio.run(latency_at(base, headers, 100, args.seconds))
                results[name] = {
                    "per_s": round(per_s, 1),
                    "errors": errors + lat_errors,
                    "p50": pct(latencies, 50),
                    "p99": pct(latencies, 99),
                }
                print(
                    f"{name:9s} {per_s:8.1f} tickets/s   at 100/s: p50 {results[name]['p50']} ms, "
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
