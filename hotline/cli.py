"""The `hotline` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from hotline import passwords
from hotline.settings import ConfigError, Settings, load_settings


def with_database(settings: Settings, work: Callable[[asyncpg.Connection, Settings], Awaitable[int]]) -> int:
    """Run `work` on one connection to a migrated database (embedded servers started if needed)."""
    from hotline.db import connect
    from hotline.migrate import migrate
    from hotline.services import running_services
    from hotline.sla.rules_store import seed_from_settings

    async def run(live: Settings) -> int:
        conn = await connect(live)
        try:
            await migrate(conn)
            await seed_from_settings(conn, live)  # a new database starts on config.toml's SLA rules
            return await work(conn, live)
        finally:
            await conn.close()

    with running_services(settings) as live:
        return asyncio.run(run(live))


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.logs import configure_logging
    from hotline.runner import run_all

    configure_logging(settings.logging, "up")
    return run_all(settings, seed_demo=args.seed_demo_if_empty)


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.logs import configure_logging
    from hotline.services import running_services
    from hotline.webserve import refuse_if_served, serve

    configure_logging(settings.logging, "web")
    refuse_if_served(args.host or settings.web.host, args.port or settings.web.port)
    with running_services(settings) as live:
        # the web processes build their own settings from the environment
        assert live.database_url and live.redis_url
        os.environ["HOTLINE_DATABASE_URL"] = live.database_url
        os.environ["HOTLINE_REDIS_URL"] = live.redis_url
        os.environ["HOTLINE_SECRET_KEY"] = live.secret_key
        return serve(
            live.web.processes,
            app="hotline.asgi:make_app",
            factory=True,
            host=args.host or live.web.host,
            port=args.port or live.web.port,
            log_config=None,
            ws="websockets-sansio",
            ws_per_message_deflate=False,  # measured: halves board fan-out latency and memory per client
            proxy_headers=True,
            forwarded_allow_ips=live.web.forwarded_allow_ips,
        )


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.services import running_services
    from hotline.worker import run_worker

    with running_services(settings) as live:
        run_worker(live)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    async def report(conn: asyncpg.Connection, live: Settings) -> int:
        from hotline.migrate import pending
        from hotline.tickets import search_index

        indexed = await search_index.backfill(conn)  # jieba runs here, not in the migration (0013)
        if indexed:
            print(f"已为 {indexed} 张工单建立全文检索")
        print("数据库结构已是最新" if not await pending(conn) else "仍有未应用的迁移")
        return 0

    return with_database(settings, report)


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.audit.log import CLI, CLI_ACTOR, Actor, record
    from hotline.imports import import_file
    from hotline.imports.rows import ImportFailed

    if args.kind == "tickets":
        return cmd_import_tickets(settings, args)
    if args.mapping:
        print("--mapping 只用于导入历史工单（hotline import tickets）", file=sys.stderr)
        return 2

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        try:
            count = await import_file(conn, args.kind, Path(args.file))
        except ImportFailed as exc:
            print(f"导入失败，未写入任何数据：{exc.summary}", file=sys.stderr)
            for line in exc.errors:
                print(f"  {line}", file=sys.stderr)
            return 1
        print(f"已导入 {count} 行")
        await record(
            conn,
            CLI,
            Actor(None, CLI_ACTOR),
            "import." + args.kind,
            datetime.now(UTC),
            target=Path(args.file).name,
            after={"rows": count},
        )
        if args.kind == "calendar":
            from hotline.sla.recompute import enqueue_pending

            await enqueue_pending(conn, live)
            print("未结束的时限将按新日历重新计算（由后台任务完成）")
        return 0

    return with_database(settings, run)


def cmd_import_tickets(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.imports import jobs
    from hotline.imports.rows import ImportFailed
    from hotline.queue import connect_queue

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        queue = connect_queue(live)  # open tickets' clocks queue their timers, as live assignments do
        try:
            mapping = Path(args.mapping) if args.mapping else None
            job_id, outcome = await jobs.import_file(conn, live, Path(args.file), mapping, queue)
        except ImportFailed as exc:
            print(f"导入失败，未写入任何数据：{exc.summary}", file=sys.stderr)
            for line in exc.errors:
                print(f"  {line}", file=sys.stderr)
            return 1
        finally:
            await queue.aclose()
        print(
            f"已导入 {outcome.rows} 行：新写入工单 {outcome.written} 件，"
            f"此前已导入（跳过） {outcome.existing} 件（导入任务 {job_id}）"
        )
        return 0

    return with_database(settings, run)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.ops.backup import create_backup
    from hotline.ops.pg_tools import ToolError

    target = Path(args.file).absolute()

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        try:
            done = await create_backup(live, target, "cli")
        except (ToolError, OSError) as exc:
            print(f"备份失败：{exc}", file=sys.stderr)
            return 1
        print(f"已备份到 {done.path}（{done.bytes / 1e6:.1f} MB，工单 {done.tickets} 件，SHA-256 {done.sha256}）")
        return 0

    return with_database(settings, run)


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Not through with_database: an empty database must stay empty until the backup is in it."""
    from hotline.ops.pg_tools import ToolError
    from hotline.ops.restore import RestoreRefused, restore
    from hotline.services import running_services

    with running_services(settings) as live:
        try:
            done = asyncio.run(restore(live, Path(args.file), force=args.force))
        except (RestoreRefused, ToolError) as exc:
            print(f"恢复失败：{exc}", file=sys.stderr)
            return 1
    c, taken = done.counts, done.manifest["created_at"]
    print(f"已恢复 {taken} 的备份：工单 {c['tickets']} 件，单位 {c['units']} 个，用户 {c['users']} 个")
    if done.model_dir is not None:
        print(f"分类模型已恢复到 {done.model_dir}")
    return 0


def cmd_retention(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.ops.retention import KINDS, run_retention

    as_of = datetime.now(UTC)
    if args.as_of:
        try:
            as_of = datetime.fromisoformat(args.as_of)
        except ValueError:
            print(f"--as-of “{args.as_of}” 应为 ISO 8601 时间，如 2030-01-01T00:00:00+08:00", file=sys.stderr)
            return 2
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=settings.tz)

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        result = await run_retention(live, as_of, dry_run=args.dry_run)
        periods = result["periods"]
        verb, title = ("将删除", "预演（未做任何修改）") if args.dry_run else ("已删除", "个人信息保留期限处理")
        print(
            f"{title}，截至 {as_of.astimezone(live.tz):%Y-%m-%d %H:%M}：来电人信息保留 {periods['caller_years']} 年，"
            f"查阅记录保留 {periods['pii_reads_months']} 个月"
        )
        for kind, label in KINDS.items():
            print(f"  {verb}{label}：{result['counts'].get(kind, 0)}")
        return 0

    return with_database(settings, run)


def cmd_export_training(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.exports.training import export_training_data

    since = None
    if args.since:
        try:
            since = datetime.strptime(args.since, "%Y-%m-%d").replace(tzinfo=settings.tz)
        except ValueError:
            print(f"--since “{args.since}” 应为 YYYY-MM-DD 格式的日期", file=sys.stderr)
            return 2

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        count = await export_training_data(conn, Path(args.out), since)
        print(f"已导出 {count} 条已定分类的工单到 {args.out}（可用 hotline classifier train --data 训练）")
        return 0

    return with_database(settings, run)


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    """Not through with_database: a check starts no server and changes nothing."""
    from hotline.db import connect
    from hotline.ops.check import Finding, database_findings, report, settings_findings

    findings = settings_findings(settings, dict(os.environ))

    async def from_database() -> list[Finding]:
        conn = await connect(settings)
        try:
            return await database_findings(conn, settings, datetime.now(UTC))
        finally:
            await conn.close()

    if settings.database_url:
        try:
            findings += asyncio.run(from_database())
        except (OSError, asyncpg.PostgresError) as exc:
            findings.append(Finding("unsafe", f"无法连接数据库：{exc}"))
    else:
        findings.append(Finding("missing", "未检查数据库（演示账号、次年日历）：HOTLINE_DATABASE_URL 未设置"))
    text, code = report(findings)
    print(text)
    return code


def cmd_export_catalog(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.exports import catalog

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        print(f"--out {out} 应以 .csv 或 .xlsx 结尾", file=sys.stderr)
        return 2

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        rows = await catalog.table(conn, args.export_command)
        kind = args.export_command
        content = catalog.as_csv(kind, rows) if out.suffix.lower() == ".csv" else catalog.as_xlsx(kind, rows)
        await asyncio.to_thread(out.write_bytes, content)
        print(f"已导出 {len(rows)} 行到 {out}（可用 hotline import {kind} 导入）")
        return 0

    return with_database(settings, run)


def cmd_classifier_retrain(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.learning.retrain import retrain

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        outcome = await retrain(conn, live, "manual")
        labels = {"promoted": "已启用新模型", "refused": "候选模型未通过评估，保留现用模型", "skipped": "未训练"}
        version = f"（{outcome.version}）" if outcome.version else ""
        print(f"{labels.get(outcome.outcome, '训练失败')}{version}：{outcome.reason}")
        return 1 if outcome.outcome == "failed" else 0

    return with_database(settings, run)


def cmd_classifier_versions(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.learning import registry

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        data = await registry.overview(conn, registry.model_store(live), datetime.now(UTC))
        for v in data["versions"]:
            mark = "*" if v["current"] else " "
            f1 = "—" if v["macro_f1"] is None else f"{v['macro_f1']:.3f}"
            print(f"{mark} {v['version']}  {v['status_label']}  宏F1 {f1}  训练样本 {v['n_train']}  {v['reason']}")
        return 0

    return with_database(settings, run)


def cmd_classifier_rollback(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.errors import ApiError
    from hotline.learning import registry

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        try:
            before, after = await registry.rollback(conn, registry.model_store(live), args.to, None, datetime.now(UTC))
        except ApiError as exc:
            print(exc.message, file=sys.stderr)
            return 1
        print(f"已回滚：{before} → {after}（各进程在 {live.classifier.reload_check_s:g} 秒内改用该版本）")
        return 0

    return with_database(settings, run)


def cmd_demo_seed(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.demo.city import DemoRefused, seed_demo
    from hotline.demo.tickets import seed_tickets
    from hotline.runner import ensure_model

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        try:
            print(await seed_demo(conn, live))
        except DemoRefused as exc:
            print(exc, file=sys.stderr)
            return 1
        ensure_model(live)
        if args.months:
            from hotline.demo.history import generate_history
            from hotline.report import score_days

            now = datetime.now(UTC)
            counts = await generate_history(conn, live, args.tickets, args.months, now)
            print(f"历史工单 {counts['tickets']} 件（{args.months} 个月，批量写入）")
            # as after an import: the rankings read stored days from the start, not after the next cron run
            print(f"已结算日的考核数据 {await score_days.refresh(conn, live.tz, now)} 天")
        elif args.tickets:
            outcomes = await seed_tickets(live, args.tickets, datetime.now(UTC))
            print(
                f"演示工单 {sum(outcomes.values())} 件：" + "，".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
            )
        return 0

    return with_database(settings, run)


def cmd_report_monthly(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.report.data import monthly
    from hotline.report.files import write_files
    from hotline.report.scores import PeriodError, parse_period

    try:
        month = parse_period(args.month)
    except PeriodError as exc:
        print(exc, file=sys.stderr)
        return 2
    if "Q" in month.label:
        print("月度报告请用 YYYY-MM 格式的月份", file=sys.stderr)
        return 2

    async def run(conn: asyncpg.Connection, live: Settings) -> int:
        try:
            report = await monthly(conn, live, month, datetime.now(UTC), args.unit)
        except LookupError:
            print(f"单位 {args.unit} 不存在", file=sys.stderr)
            return 1
        for path in write_files(report, Path(args.out)):
            print(f"已生成 {path}")
        return 0

    return with_database(settings, run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="12345 热线工单调度与督办系统")
    parser.add_argument("--config", help="config.toml path (default: ./config.toml or $HOTLINE_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run web, worker and realtime together (embedded services by default)")
    up.add_argument("--seed-demo-if-empty", action="store_true", help="seed the demo city into an empty database")
    up.set_defaults(func=cmd_up)

    web = sub.add_parser("web", help="run the web and websocket process(es)")
    web.add_argument("--host")
    web.add_argument("--port", type=int)
    web.set_defaults(func=cmd_web)

    sub.add_parser("worker", help="run one arq worker process").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser(
        "check", help="what a production deployment still lacks; exits non-zero when something is unsafe"
    ).set_defaults(func=cmd_check)

    imp = sub.add_parser(
        "import",
        help="import units, users, categories, rules, places, kb, the calendar or historical tickets from CSV or "
        "Excel (tickets: checked whole, then written in batches; a second run skips what is there)",
    )
    imp.add_argument("kind", choices=["units", "users", "categories", "rules", "places", "kb", "calendar", "tickets"])
    imp.add_argument("file")
    imp.add_argument("--mapping", help="tickets only: CSV/Excel pairing the old system's names with ours")
    imp.set_defaults(func=cmd_import)

    backup = sub.add_parser(
        "backup", help="one archive: a consistent database dump, the classifier model, the SLA rules and calendar"
    )
    backup.add_argument("file", help="the archive to write (.tar)")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="a backup archive into an empty database (checksums verified first)")
    restore.add_argument("file", help="an archive written by hotline backup")
    restore.add_argument("--force", action="store_true", help="replace a database that is not empty (its data goes)")
    restore.set_defaults(func=cmd_restore)

    retention = sub.add_parser(
        "retention", help="remove personal data past its retention period ([retention] in config.toml)"
    )
    retention.add_argument("--dry-run", action="store_true", help="count what would be removed, change nothing")
    retention.add_argument("--as-of", help="count the periods back from this moment (ISO 8601; default: now)")
    retention.set_defaults(func=cmd_retention)

    export = sub.add_parser("export", help="data out of the system")
    export_sub = export.add_subparsers(dest="export_command", required=True)
    training = export_sub.add_parser(
        "training", help="tickets with the categories staff settled on, as text,label CSV for classifier train"
    )
    training.add_argument("--out", required=True, help="CSV file to write")
    training.add_argument("--since", help="only tickets created on or after this date (YYYY-MM-DD, local time)")
    training.set_defaults(func=cmd_export_training)
    for kind, what in (
        ("units", "the org tree"),
        ("categories", "the categories"),
        ("rules", "the responsibility table"),
    ):
        table = export_sub.add_parser(kind, help=f"{what} as the CSV or Excel file `hotline import {kind}` reads")
        table.add_argument("--out", required=True, help="file to write (.csv or .xlsx)")
        table.set_defaults(func=cmd_export_catalog)

    # `hotline classifier train|eval|candidate|predict` go to classifier/__main__.py (see main()); the
    # commands that need the database are the shell's
    classifier = sub.add_parser(
        "classifier", help="retrain | versions | rollback (and train | eval | predict on files)"
    )
    classifier_sub = classifier.add_subparsers(dest="classifier_command", required=True)
    classifier_sub.add_parser(
        "retrain", help="train a candidate on the settled tickets; promote it if it passes the gate"
    ).set_defaults(func=cmd_classifier_retrain)
    classifier_sub.add_parser("versions", help="list the model versions").set_defaults(func=cmd_classifier_versions)
    rollback = classifier_sub.add_parser("rollback", help="go back to the previous model version (or --to VERSION)")
    rollback.add_argument("--to", help="the version to use (default: the one in use before the current)")
    rollback.set_defaults(func=cmd_classifier_rollback)

    demo = sub.add_parser("demo", help="demo data")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    seed = demo_sub.add_parser("seed", help="create the fictional demo city, its users and tickets")
    seed.add_argument("--tickets", type=int, default=300, help="demo tickets to play through the use-cases (0: none)")
    seed.add_argument("--months", type=int, default=0, help="write --tickets of history over this many months (bulk)")
    seed.set_defaults(func=cmd_demo_seed)

    report = sub.add_parser("report", help="analysis reports")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    monthly = report_sub.add_parser("monthly", help="monthly report as HTML and Excel")
    monthly.add_argument("--month", required=True, help="YYYY-MM, in the city's time zone")
    monthly.add_argument("--unit", type=int, help="only this unit and its subtree (unit id)")
    monthly.add_argument("--out", default=".", help="directory for report-YYYY-MM.html and .xlsx")
    monthly.set_defaults(func=cmd_report_monthly)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["classifier"] and argv[1:2] not in (["retrain"], ["versions"], ["rollback"]):
        # the text core has its own parser; it needs no settings
        from classifier.__main__ import main as classifier_main

        return classifier_main(argv[1:], prog="hotline classifier")
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    passwords.configure(settings.auth)
    return int(args.func(settings, args))
