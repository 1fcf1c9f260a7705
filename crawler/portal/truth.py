"""What a perfect crawl of the sample portal must find, as of its `today`: derived from the same
world and routes the server renders, so the two cannot drift apart."""

from __future__ import annotations

from .gated import GATE_COOKIE, GATE_PREFIX
from .reports import Report
from .sites import (
    BROWSER_COLUMNS,
    CALENDAR,
    CODEID,
    DEAD_LINKS,
    JPAGE,
    JPAGE_API,
    JYH_PAGE,
    LOGIN,
    PLATFORM_COLUMN,
    PLATFORM_SIBLING,
    REDIRECT_CHAIN,
    REGIONS,
    SCRIPT_COLUMNS,
    TRT_API,
    TRT_PAGE,
    platform_base,
)
from .state import PortalState
from .values import failing_checks


class Truth(PortalState):
    """The portal's truth (see `truth`)."""

    def truth(self, base_url: str) -> dict:
        """What a perfect crawl of this portal must find, as of `today` (the shared contract):

        - today, base_url, options {scale, faults};
        - agencies: registry rows (name, kind, region, parent, portal, cms, columns, deadline), URLs
          absolute; regions: the per-region local rules ({"654002": {"town_deadline": "01-31"}});
        - unregistered: bodies whose reports the portal lists but the registry leaves out (name, kind,
          parent, region, years, columns): what `gongkai registry suggest` must find;
        - reports: one per (agency, year) on the portal: title; urls (every URL that serves the
          report: article, second copy, attachment); article_url; attachment_url; document_url (the
          one document holding the numbers; for form "html+pdf" the page has the prose and the
          attachment the tables); list_url (what the column links to: one goes through a redirect
          chain); listed_in (columns); form (html | pdf | docx | doc | wps | scan | html+pdf |
          seed-html | seed-pdf | seed-docx); link (inline | href | onclick | iframe | embed | viewer);
          encoding; portal_date; first_seen (the day it appeared); signed; seed (tests/seeds stem);
          values (parse-contract keys agency, year, published, format, sections, active, requests,
          appeals; seed 002 adds cells); checks_fail (extract/checks.py names that fail);
        - lookalikes: {url, title, kind, column}: non-reports in report columns;
        - compliance: {agency, year, status, as_of, due, published[, days_late][, backdated,
          first_seen]} for every agency × 2019–2025 (the 第四十九条 deadlines, portal date as evidence);
        - edited: the report replaced at the same URL, with each version's values;
        - backdated: reports whose portal date is earlier than the day they appeared;
        - traps: robots_disallowed, calendar, login, login_protected_columns, dead_links,
          redirect_chains, slow, flaky, large, gbk_sites, js_pagination, script_lists (the columns a
          script draws: family, column, api, listed = what the list declares, static = what shows
          without the script's API; with fail_api those APIs answer 500);
        - options.fail_api: whether the list APIs fail.
        """
        w = self.world
        reports = [self._report_truth(rep, base_url) for rep in w.reports]
        edited = []
        for rep in w.reports:
            if len(rep.versions) > 1:
                edited.append({
                    "agency": rep.agency.name, "year": rep.year, "url": base_url + rep.article_path,
                    "first_seen": rep.first_seen.isoformat(), "edited_on": rep.versions[-1].since.isoformat(),
                    "edited_as_of_today": rep.versions[-1].since <= self.today,
                    "versions": [{"since": x.since.isoformat(), "checks_fail": failing_checks(x.values, x.narrative_total),
                                  "values": x.values} for x in rep.versions],
                })
        backdated = [
            {"agency": r.agency.name, "year": r.year, "url": base_url + r.article_path, "portal_date": r.portal_date.isoformat(),
             "first_seen": r.first_seen.isoformat()}
            for r in w.reports if r.first_seen != r.portal_date
        ]
        return {
            "today": self.today.isoformat(),
            "base_url": base_url,
            "options": {"scale": w.scale, "faults": self.faults, "fail_api": self.fail_api},
            "agencies": w.registry_rows(base_url),
            "unregistered": w.unregistered(base_url),
            "regions": REGIONS,
            "reports": reports,
            "lookalikes": [{"url": base_url + lk.path, "title": lk.title, "kind": lk.kind, "column": base_url + lk.column} for lk in w.lookalikes],
            "compliance": w.compliance(),
            "edited": edited,
            "backdated": backdated,
            "traps": self._traps(base_url),
        }

    def _report_truth(self, rep: Report, base_url: str) -> dict:
        """One report's entry in the truth."""
        if PLATFORM_COLUMN in rep.agency.column_paths and (rep.agency.name, rep.year) != PLATFORM_SIBLING:
            base_url = platform_base(base_url)  # listed with relative links on the platform's host
        v = rep.version(self.today)
        values = v.values
        if rep.static and rep.form in self.manifest.get("files", {}):
            values = self.manifest["files"][rep.form]["values"]
        if values.get("published") is None and rep.form in ("html", "seed-html"):
            # an undated page: its date is the one the portal prints at the top
            values = {**values, "published": rep.portal_date.isoformat()}
        cols = set().union(*(self.listed_in.get(u, set()) for u in (rep.list_path(), rep.article_path, rep.alias_path) if u))
        return {
            "agency": rep.agency.name,
            "year": rep.year,
            "title": rep.title,
            "urls": [base_url + u for u in rep.urls()],
            "article_url": base_url + rep.article_path,
            "attachment_url": base_url + rep.attachment_path if rep.attachment_path else None,
            "document_url": base_url + (rep.attachment_path if rep.attachment_path and rep.form != "html+pdf" else rep.article_path),
            "listed_in": sorted(base_url + c for c in cols),
            "list_url": base_url + rep.list_path(),
            "form": rep.form,
            "link": rep.link,
            "encoding": "gbk" if rep.gbk else "utf-8",
            "portal_date": rep.portal_date.isoformat(),
            "first_seen": rep.first_seen.isoformat(),
            "signed": rep.signed.isoformat() if rep.signed else None,
            "seed": rep.seed,
            "values": values,
            "checks_fail": failing_checks(values, v.narrative_total),
        }

    def _traps(self, base_url: str) -> dict:
        """Where a crawler meets each trap (the truth's `traps`)."""
        w = self.world
        return {
            "robots_disallowed": [base_url + "/yining/search/", base_url + "/yining/member/"],
            "calendar": base_url + CALENDAR,
            "login": base_url + LOGIN,
            "login_protected_columns": [base_url + p for a in w.agencies if a.login for p in a.column_paths],
            "dead_links": [base_url + u for u in DEAD_LINKS],
            "redirect_chains": [{"from": base_url + REDIRECT_CHAIN[0], "via": [base_url + REDIRECT_CHAIN[1]],
                                 "to": base_url + r.article_path} for r in w.reports if r.redirect_from],
            "slow": [{"url": base_url + r.attachment_path, "delay": self.slow_delay} for r in w.reports if r.slow and r.attachment_path],
            "flaky": [{"url": base_url + p, "fails": n} for p, n in self.flaky_paths.items()],
            "large": [{"url": base_url + lk.large_path, "size": self.large_size} for lk in w.lookalikes if lk.kind == "large"],
            "gbk_sites": [base_url + "/wusu/"],
            "script_lists": self.script_lists(base_url),
            "browser": self.browser_traps(base_url),
            "js_pagination": [base_url + p for a in w.agencies if a.site == "yining" and a.kind != "government" and not a.login
                              for p in a.column_paths],
        }

    def browser_traps(self, base_url: str) -> dict:
        """What only a browser reaches: the gate (its cookie, the columns and files behind it) and
        the script-drawn columns, with how many records each lists."""
        w = self.world
        return {
            "gate": {"cookie": GATE_COOKIE, "status": 412, "prefix": base_url + GATE_PREFIX,
                     "attachments": [base_url + r.attachment_path for r in w.reports
                                     if r.agency.site == "gated" and r.attachment_path]},
            "columns": [{"column": base_url + col, "gated": site == "gated", "listed": len(self._items(col)),
                         "static": 0, "agencies": [a.name for a in w.agencies if a.site == site]}
                        for site, col in BROWSER_COLUMNS.items() if any(a.site == site for a in w.agencies)],
        }

    def script_lists(self, base_url: str) -> list[dict]:
        """The columns drawn by script: family, column, API, what the list declares and what its static
        part (no script run, no API call) shows."""
        static = {"kfq": TRT_PAGE, "xianju": JPAGE["per_page"] * JPAGE["group"], "altay": 0, "tacheng": JYH_PAGE}
        family = {"kfq": "trs_trt", "xianju": "hanweb_jpage", "altay": "json_codeid", "tacheng": "jyh_shtml"}
        api = {"kfq": TRT_API, "xianju": JPAGE_API, "altay": CODEID["api"], "tacheng": SCRIPT_COLUMNS["tacheng"] + "common_list_{n}.shtml"}
        out = []
        for site, items in self.script_items.items():
            out.append({"family": family[site], "column": base_url + SCRIPT_COLUMNS[site], "api": base_url + api[site],
                        "listed": len(items), "static": min(static[site], len(items)),
                        "agencies": [a.name for a in self.world.agencies if a.site == site]})
        return out

