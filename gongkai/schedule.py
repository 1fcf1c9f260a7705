"""`gongkai schedule`: crawl → extract → check → crawl health → alerts, unattended, on a schedule.

The schedule is an APScheduler trigger (not a sleep loop). The default policy follows the legal
calendar: reports fall due on 31 January (departments) and 31 March (governments, most towns), and
late ones trickle in for weeks, so from 1 January to 15 April gongkai looks daily, and weekly (on
Mondays) the rest of the year; always at night, portal time (Asia/Shanghai), with random jitter so
a thousand installations do not knock on the same portal at the same second. `--cron` replaces the
policy (5 fields, or 6 with seconds first).

Runs never overlap: the scheduler holds an exclusive lock on `DATA/schedule.lock` (flock, released
by the kernel if the process dies), so a second `gongkai schedule` (or `--once` from cron) on the
same data refuses with a message naming the holder; inside one scheduler APScheduler runs at most
one instance of the job and coalesces missed runs. A run that fails is recorded (table
`schedule_runs`, and `DATA/schedule-state.json`) and the scheduler goes on to the next.

Simulation for the demo and tests: `--today DATE` (or `--today-file FILE`, re-read at every run)
makes a run crawl and judge as of that day (the sample portal's `--today`), stamping the archive's
rows with it. The day of the running crawl is written to `schedule-state.json` ("today").
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from archive.store import DEFAULT_DATA

RUNS_TABLE = "schedule_runs"
LOCK_NAME = "schedule.lock"
STATE_NAME = "schedule-state.json"
DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_HOUR = 2  # night, portal time: servers are idle, nobody's office is waiting on them
DEFAULT_JITTER = 1800  # seconds
_DOW = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ScheduleLocked(RuntimeError):
    pass


# -- the lock --------------------------------------------------------------------------------------


class RunLock:
    """An exclusive, non-blocking flock on DATA/schedule.lock, holding the owner's pid, host and start."""

    def __init__(self, data_dir: str | os.PathLike) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "unknown process"
            os.close(fd)
            raise ScheduleLocked(
                f"another gongkai schedule is already running on {self.path.parent} ({holder}); runs must "
                f"not overlap: stop it first, or use another --data (lock: {self.path})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {_utc()}\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- triggers --------------------------------------------------------------------------------------


def default_trigger(tz: str = DEFAULT_TZ, hour: int = DEFAULT_HOUR, jitter: int | None = DEFAULT_JITTER) -> Any:
    """Daily from 1 January to 15 April (reports fall due 31 Jan / 31 Mar, late ones follow),
    weekly on Mondays otherwise; at `hour` local time, with up to `jitter` seconds of random delay."""
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger

    at = {"hour": hour, "minute": 0, "timezone": tz}
    return OrTrigger(
        [
            CronTrigger(month="1-3", **at),
            CronTrigger(month="4", day="1-15", **at),
            CronTrigger(month="4", day="16-30", day_of_week="mon", **at),
            CronTrigger(month="5-12", day_of_week="mon", **at),
        ],
        jitter=jitter or None,
    )


def cron_trigger(expr: str, tz: str = DEFAULT_TZ, jitter: int | None = None) -> Any:
    """A crontab line: 5 fields (minute hour day month weekday) or 6 with seconds first."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) == 5:
        names = ["minute", "hour", "day", "month", "day_of_week"]
    elif len(fields) == 6:
        names = ["second", "minute", "hour", "day", "month", "day_of_week"]
    else:
        raise click.BadParameter(f"{expr!r}: a cron expression has 5 fields (or 6 with seconds first)",
                                 param_hint="--cron")
    spec = dict(zip(names, fields, strict=True))
    # crontab counts weekdays from Sunday = 0 (or 7); APScheduler from Monday = 0: use names
    spec["day_of_week"] = re.sub(r"(?<![/\w])([0-7])(?!\w)", lambda m: _DOW[int(m.group(1))], spec["day_of_week"])
    try:
        return CronTrigger(**spec, timezone=tz, jitter=jitter or None)
    except ValueError as e:
        raise click.BadParameter(f"{expr!r}: {e}", param_hint="--cron") from e


def build_trigger(crons: list[str], tz: str, jitter: int | None) -> Any:
    if not crons:
        return default_trigger(tz, jitter=jitter)
    if len(crons) == 1:
        return cron_trigger(crons[0], tz, jitter)
    from apscheduler.triggers.combining import OrTrigger

    return OrTrigger([cron_trigger(c, tz) for c in crons], jitter=jitter or None)


# -- one run ---------------------------------------------------------------------------------------


@dataclass
class Options:
    data: str = DEFAULT_DATA
    registry: str | None = None
    agencies: list[str] = field(default_factory=list)
    notify: list[str] = field(default_factory=list)
    today: str | None = None  # simulated day (sample portal), fixed
    today_file: str | None = None  # simulated day, re-read at each run
    workers: int = 0
    progress: bool = True
    crawl_kw: dict[str, Any] = field(default_factory=dict)

    def day(self) -> str | None:
        if self.today_file:
            try:
                text = Path(self.today_file).read_text("utf-8").strip()
                return date.fromisoformat(text).isoformat()
            except (OSError, ValueError) as e:
                raise ValueError(f"--today-file {self.today_file}: no YYYY-MM-DD date in it ({e})") from e
        return self.today


def write_state(data: str | os.PathLike, **state: Any) -> None:
    """DATA/schedule-state.json, atomically: what the scheduler is doing (for monitoring, and the
    simulated day of a running crawl)."""
    path = Path(data) / STATE_NAME
    try:
        old = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        old = {}
    old.update(state)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(old, ensure_ascii=False, indent=1, default=str), "utf-8")
    os.replace(tmp, path)


def _say(text: str) -> None:
    click.echo(f"[{_utc()}] {text}", err=True)


def run_once(opts: Options) -> dict[str, Any]:
    """crawl → extract → check → crawl health → alerts. A failing stage is recorded and the later
    stages still run on what the archive holds (a failed crawl must not hide yesterday's late
    reports); the run's status is `failed` if any stage failed. Holds the archive's write lock,
    waiting for another writer (a crawl started by hand) to finish first."""
    from archive.lock import writer_lock

    with writer_lock(opts.data, "gongkai schedule", wait=True):
        return _run_once(opts)


def _run_once(opts: Options) -> dict[str, Any]:
    from archive.alerts import run_alerts
    from archive.calendar import run_check
    from archive.extractor import run_extract
    from archive.health import refresh_health
    from archive.store import Archive

    started = _utc()
    errors: list[str] = []
    summary: dict[str, Any] = {}
    day = opts.day()
    as_of = date.fromisoformat(day) if day else date.today()
    write_state(opts.data, state="running", today=as_of.isoformat(), started=started, pid=os.getpid())
    _say(f"run: crawl → extract → check as of {as_of}")

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.monotonic()
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 - one stage failing must not stop the scheduler
            errors.append(f"{name}: {type(e).__name__}: {e}")
            _say(f"{name} failed: {e}")
            if not isinstance(e, click.ClickException | ValueError):
                traceback.print_exc(file=sys.stderr)
            return None
        _say(f"{name} done in {time.monotonic() - t0:.1f}s")
        return out

    def crawl() -> dict[str, Any]:
        from gongkai.crawl import do_crawl

        s = do_crawl(opts.data, opts.registry, list(opts.agencies), progress=opts.progress, today=day,
                     **opts.crawl_kw)
        if s.get("reason") != "finished":
            raise RuntimeError(f"crawl {s.get('crawl_id')} stopped: {s.get('reason')}")
        if (s.get("failures") or {}).get("write"):
            raise RuntimeError(f"crawl {s.get('crawl_id')}: {s['failures']['write']} items could not be written")
        return s

    c = stage("crawl", crawl)
    if c is not None:
        summary["crawl"] = {k: c.get(k) for k in ("crawl_id", "agencies", "agencies_unreachable", "reports_new",
                                                    "reports_changed", "documents_new", "requests", "failures",
                                                    "partial")}
    with Archive(opts.data) as arc:
        if opts.registry:
            from archive.agencies import load_registry_into

            stage("registry", lambda: load_registry_into(arc, opts.registry))
        ex = stage("extract", lambda: run_extract(arc, workers=opts.workers, progress=opts.progress))
        if ex is not None:
            summary["extract"] = {"documents": ex.get("documents"), "statuses": ex.get("statuses")}
        # health before check: the calendar asks it whether a body was reachable
        h = stage("health", lambda: refresh_health(arc, as_of))
        if h is not None:
            summary["health"] = h
        chk = stage("check", lambda: run_check(arc, as_of, progress=opts.progress, keep=False))
        if chk is not None:
            summary["check"] = {"statuses": chk["summary"]["statuses"],
                                "failed_checks": chk["summary"]["failed_checks"]}
        al = stage("alerts", lambda: run_alerts(arc, opts.notify, as_of.isoformat()))
        if al is not None:
            summary["alerts"] = al
            if al.get("error"):
                errors.append(f"alerts: {al['error']}")
        row = {"started": started, "finished": _utc(), "today": as_of.isoformat(),
               "status": "failed" if errors else "ok", "error": "; ".join(errors) or None,
               "summary": json.dumps(summary, ensure_ascii=False, default=str)}
        with arc.db.conn:
            arc.db.table(RUNS_TABLE).create({"id": int, "started": str, "finished": str, "today": str, "status": str,
                                          "error": str, "summary": str}, pk="id", if_not_exists=True)
            rid = arc.db.table(RUNS_TABLE).insert(row).last_pk
    out = {"run": rid, **row, "summary": summary}
    write_state(opts.data, state="idle", last_run=out)
    al = summary.get("alerts") or {}
    _say(f"run {rid} {row['status']}: " + (row["error"] or "")
         + f" verdicts {(summary.get('check') or {}).get('statuses')}; alerts: {al.get('new', 0)} new"
         + (" (sent)" if al.get("sent") else ""))
    return out


# -- the scheduler ---------------------------------------------------------------------------------


def serve(opts: Options, trigger: Any, runs: int | None = None, run: Callable[[Options], Any] = run_once) -> int:
    """Run `run(opts)` on `trigger` until interrupted (or after `runs` runs); returns the runs done.
    The caller holds the RunLock."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
    from apscheduler.schedulers.blocking import BlockingScheduler

    sched = BlockingScheduler(timezone=getattr(trigger, "timezone", None) or DEFAULT_TZ)
    done = {"runs": 0, "failed": 0}

    def job() -> None:
        try:
            result = run(opts)
            if isinstance(result, dict) and result.get("status") == "failed":
                done["failed"] += 1
        except Exception as e:  # noqa: BLE001 - survive and go on to the next run
            done["failed"] += 1
            _say(f"run failed: {type(e).__name__}: {e}")
            traceback.print_exc(file=sys.stderr)
            write_state(opts.data, state="idle", last_error=f"{_utc()} {type(e).__name__}: {e}")
        finally:
            done["runs"] += 1

    def listener(event: Any) -> None:
        if event.code == EVENT_JOB_MISSED:
            _say("a run was skipped: the previous one was still going")
        if runs is not None and done["runs"] >= runs:
            sched.shutdown(wait=False)
            return
        job_ = sched.get_job("gongkai")
        if job_ is not None and job_.next_run_time:
            write_state(opts.data, next_run=job_.next_run_time.isoformat())
            _say(f"next run at {job_.next_run_time.isoformat()}")

    sched.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    # one instance at a time; missed runs (machine asleep) coalesce into one, within a day's grace
    sched.add_job(job, trigger, id="gongkai", max_instances=1, coalesce=True, misfire_grace_time=86400)
    nxt = sched.get_job("gongkai")
    write_state(opts.data, state="idle", pid=os.getpid(), next_run=str(getattr(nxt, "next_run_time", None)))
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    if done["failed"]:
        _say(f"schedule stopped after {done['runs']} runs, {done['failed']} failed")
    return done["runs"]


# -- the command -----------------------------------------------------------------------------------


def load_config(path: str | None) -> dict[str, Any]:
    """The schedule's YAML config: notify (URLs), cron, jitter, timezone, registry, agencies."""
    if not path:
        return {}
    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise click.ClickException(f"{path}: cannot read the schedule config: {e}") from e
    if not isinstance(doc, dict):
        raise click.ClickException(f"{path}: the schedule config must be a mapping (notify:, cron:, ...)")
    known = {"notify", "cron", "jitter", "timezone", "registry", "agencies"}
    unknown = set(doc) - known
    if unknown:
        raise click.ClickException(f"{path}: unknown keys {sorted(unknown)} (known: {sorted(known)})")
    for key in ("notify", "cron", "agencies"):
        if isinstance(doc.get(key), str):
            doc[key] = [doc[key]]
    return doc


@click.command()
@click.option("--once", is_flag=True, help="One run now, then exit (for cron or a systemd timer).")
@click.option("--cron", "crons", multiple=True,
              help="Cron expression replacing the default policy (5 fields, or 6 with seconds first); repeatable.")
@click.option("--jitter", type=click.IntRange(min=0), default=None,
              help=f"Random delay of each run, up to this many seconds (default {DEFAULT_JITTER}).")
@click.option("--timezone", "tz", default=None, help=f"Time zone of the schedule (default {DEFAULT_TZ}).")
@click.option("--notify", "notify", multiple=True,
              help="Apprise URL to send alert digests to (mailtos://, json://, wecombot://, dingtalk://, feishu://...); repeatable.")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML file with notify, cron, jitter, timezone, registry, agencies.")
@click.option("--registry", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Registry YAML/CSV (default: the archive's agencies, else the bundled one).")
@click.option("--agency", "agencies", multiple=True, help="Only this body (repeatable).")
@click.option("--runs", type=click.IntRange(min=1), default=None, help="Stop after this many runs.")
@click.option("--today", default=None, help="Simulation: crawl and judge as of this day (the sample portal's --today).")
@click.option("--today-file", type=click.Path(dir_okay=False), default=None,
              help="Simulation: read that day from this file at every run.")
@click.option("--data", "data_dir", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False),
              help="Archive directory (archive.db and blobs/).")
@click.option("--json", "as_json", is_flag=True, help="With --once: print the run's summary on stdout.")
def schedule(once: bool, crons: tuple[str, ...], jitter: int | None, tz: str | None, notify: tuple[str, ...],
             config: str | None, registry: str | None, agencies: tuple[str, ...], runs: int | None,
             today: str | None, today_file: str | None, data_dir: str, as_json: bool) -> None:
    """Run crawl → extract → check (+ crawl health and alerts) on a schedule.

    Default: daily 1 January–15 April, weekly otherwise, at night Beijing time with jitter."""
    from archive.alerts import AlertConfigError, check_urls

    conf = load_config(config)
    if today:
        try:
            today = date.fromisoformat(today).isoformat()
        except ValueError as e:
            raise click.BadParameter(f"{today!r} is not a date (YYYY-MM-DD)", param_hint="--today") from e
    opts = Options(
        data=data_dir,
        registry=registry or conf.get("registry"),
        agencies=list(agencies or conf.get("agencies") or []),
        notify=list(notify) + list(conf.get("notify") or []),
        today=today,
        today_file=today_file,
    )
    try:
        check_urls(opts.notify)
    except AlertConfigError as e:
        raise click.BadParameter(str(e), param_hint="--notify") from e
    tz = tz or conf.get("timezone") or DEFAULT_TZ
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except (ValueError, KeyError, OSError) as e:
        raise click.BadParameter(f"{tz!r} is not a time zone (e.g. Asia/Shanghai)", param_hint="--timezone") from e
    jit = jitter if jitter is not None else conf.get("jitter", DEFAULT_JITTER)
    trigger = None if once else build_trigger(list(crons) or list(conf.get("cron") or []), tz, jit)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    try:
        lock = RunLock(data_dir).acquire()
    except ScheduleLocked as e:
        raise click.ClickException(str(e)) from e
    try:
        if once:
            out = run_once(opts)
            if as_json:
                click.echo(json.dumps(out, ensure_ascii=False, indent=1, default=str))
            if out["status"] != "ok":
                sys.exit(1)
            return
        _say(f"schedule on {data_dir}: {trigger}" + (f", {len(opts.notify)} notify targets" if opts.notify else ""))
        n = serve(opts, trigger, runs, run_once)  # looked up at each call: a test may wrap it
        _say(f"schedule stopped after {n} runs")
    finally:
        lock.release()
