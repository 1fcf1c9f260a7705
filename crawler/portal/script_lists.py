"""The sample portal's four columns whose lists a script draws, one per CMS family (pages.py says
how each family's script works): their pages and the list APIs behind them (a TRS trsapi search, a
Hanweb dataproxy.jsp POST, a JSON getFileListByCodeId, a 集约化 site's script-only pages). With
`fail_api` every API answers 500."""

from __future__ import annotations

import json

from .pages import (
    E,
    codeid_column,
    hanweb_record,
    jpage_column,
    jpage_datastore,
    jyh_pager,
    links,
    page,
    trt_column,
    xj_list_items,
)
from .response import Response, html_response
from .sites import (
    CODEID,
    JPAGE,
    JPAGE_API,
    JYH_PAGE,
    SCRIPT_COLUMNS,
    SITE_EPOCH,
    SITES,
    TRT_API,
    TRT_CHANNEL,
    TRT_PAGE,
)
from .state import PortalState


class ScriptLists(PortalState):
    """Builds the script-drawn columns' routes (called once by Portal) and answers their APIs."""

    def _script_home(self, site: str, crumb: str) -> None:
        home, title = SITES[site]["home"], SITES[site]["title"]
        self.routes[home] = lambda: html_response(
            page(title, f'<div class="header"><a href="{home}">{E(title)}</a></div>'
                 + links([("政府信息公开年报", SCRIPT_COLUMNS[site])])), SITE_EPOCH)
        self.script_hdr[site] = (f'<div class="header"><a href="{home}">{E(title)}</a></div>'
                                 f'<div class="crumb">{E(crumb)}</div>')

    def _build_script_sites(self) -> None:
        """The four columns whose lists a script draws, one per CMS family (pages.py says how)."""
        self.script_hdr = {}
        self.script_items = {}
        for site in SCRIPT_COLUMNS:
            if not any(a.site == site for a in self.world.agencies):
                continue
            items = self._items(SCRIPT_COLUMNS[site])
            self.script_items[site] = items
        if "kfq" in self.script_items:
            self._script_home("kfq", "首页 > 政府信息公开 > 法定主动公开内容 > 政府信息公开年报")
            col, items = SCRIPT_COLUMNS["kfq"], self.script_items["kfq"]
            rel = [(t, "./" + u[len(col):] if u.startswith(col) else u, d) for t, u, d in items[:TRT_PAGE]]
            def trt(rel: list = rel, items: list = items) -> Response:
                return html_response(page("政府信息公开年报", self.script_hdr["kfq"] + trt_column(
                    rel, len(items), TRT_PAGE, *TRT_CHANNEL)), self._modified(items))

            self.routes[col] = trt
            self.routes[col + "index.html"] = trt
        if "xianju" in self.script_items:
            self._script_home("xianju", "信息公开 -- 政府信息公开年报")
            col, items = SCRIPT_COLUMNS["xianju"], self.script_items["xianju"]
            self.jpage_records = [hanweb_record(t, u, d) for t, u, d in items]
            form = {"col": 1, "appid": 1, "webid": int(JPAGE["webid"]), "path": "/", "columnid": int(JPAGE["columnid"]),
                    "sourceContentType": 1, "unitid": JPAGE["unitid"], "webname": SITES["xianju"]["title"], "permissiontype": 0}
            first = self.jpage_records[: JPAGE["per_page"] * JPAGE["group"]]
            self.routes[col] = (lambda first=first, form=form, items=items: html_response(page(
                "政府信息公开年报", self.script_hdr["xianju"] + jpage_column(
                    JPAGE["unitid"], first, len(self.jpage_records), JPAGE["per_page"], JPAGE["group"], form)),
                self._modified(items)))
        if "altay" in self.script_items:
            self._script_home("altay", "首页 > 政府信息公开 > 政府信息公开年报")
            col, items = SCRIPT_COLUMNS["altay"], self.script_items["altay"]
            self.routes[col] = (lambda items=items: html_response(page("政府信息公开年报", self.script_hdr["altay"] + codeid_column(
                CODEID["api"], CODEID["codeId"], CODEID["channelId"], CODEID["size"])), self._modified(items)))
        if "tacheng" in self.script_items:
            self._script_home("tacheng", "首页 > 政府信息公开 > 政府信息公开年报")
            col, items = SCRIPT_COLUMNS["tacheng"], self.script_items["tacheng"]
            pages = max(1, -(-len(items) // JYH_PAGE))
            for n in range(1, pages + 1):
                chunk = items[(n - 1) * JYH_PAGE : n * JYH_PAGE]

                def fn(chunk=chunk, n=n, pages=pages, items=items) -> Response:
                    if n > 1 and self.fail_api:
                        return Response(500, body=b"Internal Server Error", ctype="text/plain; charset=utf-8")
                    return html_response(page("政府信息公开年报", self.script_hdr["tacheng"] + xj_list_items(chunk)
                                              + jyh_pager(n, pages, len(items))), self._modified(items))

                self.routes[col + ("common_list.shtml" if n == 1 else f"common_list_{n}.shtml")] = fn
                if n == 1:
                    self.routes[col] = fn


    def _trsapi(self, query: dict[str, list[str]]) -> Response:
        items = self.script_items.get("kfq")
        q = {k: v[0] for k, v in query.items()}
        if items is None or q.get("channelid") != TRT_CHANNEL[0] or q.get("classsql") != f"chnlid={TRT_CHANNEL[1]}":
            return Response(400, body=b'{"code": 400, "msg": "unknown channelid/classsql"}', ctype="application/json")
        try:
            page, size = int(q.get("page", "1")), int(q.get("prepage", str(TRT_PAGE)))
        except ValueError:
            return Response(400, body=b'{"code": 400, "msg": "page and prepage must be numbers"}', ctype="application/json")
        if self.fail_api:
            return Response(500, body=b'{"code": 500, "msg": "search service unavailable"}', ctype="application/json")
        chunk = items[(page - 1) * size : page * size] if page >= 1 and size >= 1 else []
        answer = {"code": 200, "recordCount": len(items), "pageCount": max(1, -(-len(items) // max(size, 1))), "page": page,
                  "prepage": size, "datas": [{"doctitle": t, "docpuburl": u, "docreltime": f"{d.isoformat()} 09:30:00"}
                                             for t, u, d in chunk]}
        return Response(body=json.dumps(answer, ensure_ascii=False).encode(), ctype="application/json; charset=utf-8",
                        modified=self._modified(items))

    def respond_post(self, path: str, query: dict[str, list[str]], form: dict[str, list[str]]) -> Response:
        """The list APIs that take a form (POST): Hanweb's dataproxy.jsp, getFileListByCodeId."""
        f = {k: v[0] for k, v in form.items()}
        q = {k: v[0] for k, v in query.items()}
        if path == JPAGE_API and hasattr(self, "jpage_records"):
            if f.get("columnid") != JPAGE["columnid"] or f.get("unitid") != JPAGE["unitid"]:
                return Response(400, body=b"unknown columnid/unitid", ctype="text/plain; charset=utf-8")
            try:
                start, end, per = int(q["startrecord"]), int(q["endrecord"]), int(q["perpage"])
            except (KeyError, ValueError):
                return Response(400, body=b"startrecord, endrecord, perpage: numbers required", ctype="text/plain; charset=utf-8")
            if self.fail_api:
                return Response(500, body=b"Internal Server Error", ctype="text/plain; charset=utf-8")
            recs = self.jpage_records[max(start - 1, 0) : max(end, 0)]
            xml = jpage_datastore(recs, len(self.jpage_records), per, start, end)
            return Response(body=xml.encode(), ctype="text/xml; charset=utf-8", modified=self._modified(self.script_items["xianju"]))
        if path == CODEID["api"] and "altay" in self.script_items:
            items = self.script_items["altay"]
            if f.get("codeId") != CODEID["codeId"] or f.get("channelId", "") not in ("", CODEID["channelId"]):
                return Response(200, body=b'{"code": 404, "msg": "no such codeId", "results": null}', ctype="application/json")
            try:
                page = int(f.get("page") or f.get("pageNo") or "1")
                size = int(f.get("size") or f.get("pageSize") or "20")
            except ValueError:
                return Response(400, body=b'{"code": 400, "msg": "page/size"}', ctype="application/json")
            if self.fail_api:
                return Response(500, body=b'{"code": 500, "msg": "service error"}', ctype="application/json")
            chunk = items[(page - 1) * size : page * size] if page >= 1 and size >= 1 else []
            rows = [{"title": t, "titleHtml": E(t), "url": u, "publishedTimeStr": f"{d.isoformat()} 10:00:00",
                     "channelId": CODEID["channelId"]} for t, u, d in chunk]
            answer = {"code": 200, "msg": "success", "results": {"data": {"page": page, "rows": size, "total": len(items),
                                                                        "results": rows}}}
            return Response(body=json.dumps(answer, ensure_ascii=False).encode(), ctype="application/json; charset=utf-8",
                            modified=self._modified(items))
        return Response(405, body=b"method not allowed", ctype="text/plain; charset=utf-8")

    def script_api_get(self, path: str, query: dict[str, list[str]]) -> Response | None:
        """A GET to a list API: trsapi answers, the POST-only ones say so; None for any other path."""
        if path == TRT_API:
            return self._trsapi(query)
        if path in (JPAGE_API, CODEID["api"]):
            return Response(405, body=b"POST only", ctype="text/plain; charset=utf-8", headers={"Allow": "POST"})
        return None
