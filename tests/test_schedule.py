"""`gongkai schedule` for real: a seconds-level cron schedule crawls the sample portal while its day
advances after each run (the test moves it between runs, never racing the next one); the report that turns late produces exactly one alert at a loopback webhook. Also: the
lock refuses a second scheduler, a failing run does not stop the scheduler, the default policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from test_alerts import Hook

import gongkai.schedule as schedule_module
from crawler.portal.portal import Portal
from crawler.portal.server import make_server
from gongkai.schedule import Options, RunLock, ScheduleLocked, default_trigger, serve

ROOT = Path(__file__).resolve().parents[1]
BODY = "伊宁市财政局"  # its 2025 report is due 2026-01-31 and appears on 2026-02-14: late


def gongkai(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from gongkai.cli import main; main()", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


class DayPortal:
    """The sample portal on loopback, showing the day the scheduler's running crawl is simulating
    (DATA/schedule-state.json "today"): the portal is deterministic by its --today."""

    def __init__(self, state: Path, first_day: str) -> None:
        sites: dict[str, Portal] = {}
        lock = threading.Lock()

        def site() -> Portal:
            try:
                day = json.loads(state.read_text("utf-8")).get("today") or first_day
            except (OSError, ValueError):
                day = first_day
            with lock:
                if day not in sites:
                    sites[day] = Portal(day)
                return sites[day]

        self.site = site
        self.server = make_server(Portal(first_day), 0)
        base = self.server.RequestHandlerClass
        self.server.RequestHandlerClass = type("DayHandler", (base,), {"portal": property(lambda _self: site())})
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_schedule_alerts_once_when_a_report_turns_late(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    state = data / "schedule-state.json"
    day_file = tmp_path / "today"
    day_file.write_text("2026-01-20")
    portal = DayPortal(state, "2026-01-20")
    hook = Hook()
    try:
        truth = portal.site().truth(portal.base_url)
        registry = tmp_path / "registry.yaml"
        registry.write_text(yaml.safe_dump({"agencies": truth["agencies"], "regions": truth.get("regions") or {}},
                                           allow_unicode=True), "utf-8")
        seen: list[str] = []
        real_run = schedule_module.run_once

        def run_then_advance(opts: Options) -> dict:
            """The real run; the day moves on after the first, before the scheduler fires the next."""
            if len(seen) == 1:
                # a second scheduler on the same data refuses, naming the holder (this process)
                second = gongkai("schedule", "--once", "--data", str(data))
                _, err = second.communicate(timeout=60)
                assert second.returncode != 0 and "already running" in err and f"pid {os.getpid()} " in err, err
            out = real_run(opts)
            seen.append(out["today"])
            day_file.write_text("2026-02-20")  # the portal follows the day of the running crawl
            return out

        monkeypatch.setattr(schedule_module, "run_once", run_then_advance)
        # every second: a run starts as soon as the one before has finished
        result = CliRunner().invoke(schedule_module.schedule, [
            "--cron", "* * * * * *", "--jitter", "0", "--runs", "3", "--today-file", str(day_file),
            "--notify", hook.url, "--registry", str(registry), "--agency", BODY, "--data", str(data)])
        assert result.exit_code == 0, (result.output, result.exception)
        assert seen == ["2026-01-20", "2026-02-20", "2026-02-20"], result.output[-3000:]
    finally:
        portal.close()
        hook.close()

    import sqlite_utils

    db = sqlite_utils.Database(data / "archive.db")
    runs = list(db["schedule_runs"].rows)
    assert [r["status"] for r in runs] == ["ok"] * 3, [r["error"] for r in runs]
    assert runs[0]["today"] == "2026-01-20" and runs[-1]["today"] == "2026-02-20"
    assert sum(r["today"] == "2026-02-20" for r in runs) == 2  # the late state was seen twice, alerted once
    verdict = db.execute("SELECT status, days_late FROM compliance WHERE agency = ? AND year = 2025", [BODY]).fetchone()
    assert verdict == ("late", 14)
    late = [m for m in hook.received if f"{BODY} 2025年度报告 逾期" in m["message"]]
    assert len(late) == 1, [m["title"] for m in hook.received]
    assert "late" in late[0]["title"] and "2026-02-20" in late[0]["title"]
    # no run re-sent what an earlier run had sent: every digest holds only new items
    sent = [json.loads(r["detail"]) for r in db["alerts"].rows]
    keys = [(i["key"], i["state"]) for d in sent for i in d]
    assert len(keys) == len(set(keys)) and len(sent) == len(hook.received)


def test_lock_refuses_second_holder(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(ScheduleLocked, match=f"pid {os.getpid()}"):
            RunLock(tmp_path).acquire()
    RunLock(tmp_path).acquire().release()  # released: free again


def test_a_failed_run_does_not_stop_the_scheduler(tmp_path, capsys):
    from apscheduler.triggers.interval import IntervalTrigger

    calls: list[float] = []

    def flaky(opts: Options) -> dict:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("portal exploded")
        return {"status": "ok"}

    n = serve(Options(data=str(tmp_path)), IntervalTrigger(seconds=0.3), runs=3, run=flaky)
    assert n == 3 and len(calls) == 3
    assert "portal exploded" in capsys.readouterr().err
    assert "portal exploded" in json.loads((tmp_path / "schedule-state.json").read_text())["last_error"]


def test_default_policy_follows_the_legal_calendar():
    trig = default_trigger(jitter=None)
    tz = ZoneInfo("Asia/Shanghai")

    def fires(start: str, n: int) -> list[str]:
        out, prev = [], None
        now = datetime.fromisoformat(start).replace(tzinfo=tz)
        for _ in range(n):
            nxt = trig.get_next_fire_time(prev, now)
            out.append(nxt.strftime("%m-%d %a %H:%M"))
            prev, now = nxt, nxt
        return out

    # daily through the reporting season, to 15 April
    assert fires("2026-04-13T12:00:00", 4) == ["04-14 Tue 02:00", "04-15 Wed 02:00", "04-20 Mon 02:00",
                                               "04-27 Mon 02:00"]
    # weekly (Mondays) the rest of the year, daily again from 1 January
    assert fires("2026-12-25T12:00:00", 3) == ["12-28 Mon 02:00", "01-01 Fri 02:00", "01-02 Sat 02:00"]


def test_config_file_and_bad_values_are_named(tmp_path):
    import click

    from gongkai.schedule import cron_trigger, load_config

    conf = tmp_path / "schedule.yaml"
    conf.write_text("notify: json://127.0.0.1:9/hook\ncron: ['0 3 * * *']\njitter: 60\n", "utf-8")
    assert load_config(str(conf)) == {"notify": ["json://127.0.0.1:9/hook"], "cron": ["0 3 * * *"], "jitter": 60}
    conf.write_text("notfy: x\n", "utf-8")
    with pytest.raises(click.ClickException, match=r"schedule.yaml: unknown keys \['notfy'\]"):
        load_config(str(conf))
    with pytest.raises(click.BadParameter, match="5 fields"):
        cron_trigger("* *")
    with pytest.raises(click.BadParameter, match="'61 \\* \\* \\* \\*'"):
        cron_trigger("61 * * * *")
    # six fields: seconds first
    trig = cron_trigger("*/5 * * * * *", jitter=None)
    now = datetime(2026, 2, 1, 12, 0, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert trig.get_next_fire_time(None, now).second == 5


def test_cron_weekdays_count_from_sunday_as_in_crontab():
    from gongkai.schedule import cron_trigger

    now = datetime(2026, 2, 4, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
    assert cron_trigger("0 2 * * 1").get_next_fire_time(None, now).strftime("%a %d") == "Mon 09"
    assert cron_trigger("0 2 * * 0").get_next_fire_time(None, now).strftime("%a %d") == "Sun 08"
    assert cron_trigger("0 2 * * 7").get_next_fire_time(None, now).strftime("%a %d") == "Sun 08"
    assert cron_trigger("0 2 * * 4-5").get_next_fire_time(None, now).strftime("%a %d") == "Thu 05"
    assert cron_trigger("0 2 * * */2").get_next_fire_time(None, now) is not None
