"""The sample portal's documents: a report's article page (its metadata block as its site's CMS
prints it, the report inline or a link to its attachment in one of the ways portals link them), the
attachment itself (PDF, DOCX, or a committed DOC/WPS/scan), the lookalikes and the very large file.
render.py turns a report's values into the blocks these pages and files are made of."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from urllib.parse import quote

from .pages import E, hanweb_meta, page, trs_meta, xj_meta
from .render import blocks_docx, blocks_html, blocks_pdf, cn_date, legacy_blocks, report_blocks, seed_blocks
from .reports import Lookalike, Report
from .response import DOCX, Response, html_response, static_file
from .sites import BROWSER_COLUMNS, HUOCHENG, SITES
from .state import PortalState
from .values import load_seed

# What each kind of lookalike says.
LOOKALIKE_TEXTS = {
    "work_report": "各位代表：现在，我代表市人民政府，向大会报告政府工作，请予审议。过去一年，全市经济社会发展稳中有进。",
    "final_accounts": "根据《中华人民共和国预算法》，现将本年度财政决算情况报告如下：一般公共预算收入完成预算的101.2%。",
    "work_plan": "为深入推进各项工作，现将本年度工作要点印发给你们，请结合实际认真贯彻落实。",
    "rule_of_law": "本年度，我市深入推进法治政府建设，现将法治政府建设情况报告如下。",
    "notice": "各乡（镇）人民政府，市直各部门：为做好政府信息公开工作年度报告编制和发布工作，请于1月31日前报送本单位年度报告。",
    "large": "决算附表见附件。",
}


class Documents(PortalState):
    """Renders a report's pages and files, on first request (Portal caches them)."""

    def _meta(self, rep: Report, site: str) -> str:
        a, d = rep.agency, rep.portal_date
        index = f"{a.slug or 'zfb'}/{d.year}-{int(rep.key[:4], 16) % 90000 + 10:05d}"
        if site == "huocheng":  # the portal names the county as publisher of every unit's report
            return xj_meta([("发布机构", HUOCHENG), ("索引号", index), ("公开目录", f"{rep.year}年"),
                            ("日期", d.isoformat())])
        if site in ("yining", "bench"):
            return xj_meta([("发布机构", a.name), ("索引号", index), ("公开目录", str(rep.year)), ("文号", ""),
                            ("日期", d.isoformat()), ("主题", "政府信息公开年报"), ("有效性", "有效")])
        if site == "wusu":
            return trs_meta([("索引号", index), ("发布机构", a.name), ("发文日期", cn_date(d)), ("文号", ""), ("有效性", "有效")])
        if site == "kfq":  # the trt article shows no date of its own: the list's date is the portal's
            return f'<div class="info"><span>来源：{E(a.name)}</span> <span>浏览次数：<b id="count"></b></span></div>'
        if site == "tacheng":
            return xj_meta([("发布机构", a.name), ("索引号", index), ("日期", d.isoformat())])
        if site in ("altay", *BROWSER_COLUMNS):
            return trs_meta([("索引号", index), ("发布机构", a.name), ("发布日期", d.isoformat())])
        return hanweb_meta([("索引号", index), ("主题分类", "其他"), ("组配分类", "政府信息公开年报"), ("发布机构", a.name),
                            ("生成日期", d.isoformat()), ("公开方式", "主动公开")])

    def _article(self, rep: Report) -> Response:
        v = rep.version(self.today)
        site = rep.agency.site
        att = rep.attachment_path or ""  # every form below that links it has one
        name = f"{rep.title}.{att.rsplit('.', 1)[1]}" if att else ""
        if site in ("wusu", "kfq") and att:  # TRS links attachments relative to the article
            att = "./" + att.rsplit("/", 1)[1]
        if rep.seed:
            data, _ = load_seed(rep.seed)
            content = blocks_html(seed_blocks(data)) if rep.form == "seed-html" else f'<p>附件：<a href="{E(att)}">{E(name)}</a></p>'
        elif rep.form == "html":
            content = blocks_html(report_blocks(rep, v))
        elif rep.form == "legacy":
            content = blocks_html(legacy_blocks(rep))
        elif rep.form == "html+pdf":
            content = blocks_html(report_blocks(rep, v, tables=False)) + f'<p>附件：<a href="{E(att)}">{E(rep.title)}统计表.pdf</a></p>'
        elif rep.link == "onclick":
            content = f'<p>{E(rep.title)}（详见附件）</p><p><a href="javascript:void(0);" onclick="window.open(\'{att}\')">{E(name)}</a></p>'
        elif rep.link == "iframe":
            content = f'<iframe src="{E(att)}" width="100%" height="900" frameborder="0"></iframe>'
        elif rep.link == "embed":
            content = f'<embed src="{E(att)}" type="application/pdf" width="100%" height="900">'
        elif rep.link == "viewer":
            content = f'<p><a href="/yining/pdfjs/web/viewer.html?file={quote(att, safe="")}" target="_blank">在线阅读：{E(name)}</a></p>'
        else:
            content = f'<p>{E(rep.title)}（详见附件）</p><p>附件：<a href="{E(att)}">{E(name)}</a></p>'
        body = (
            f'<div class="header"><a href="{SITES[site]["home"]}">{E(SITES[site]["title"])}</a></div>'
            + self._meta(rep, site)
            + f'<h1 class="title">{E(rep.title)}</h1><div class="TRS_Editor">{content}</div>'
        )
        charset = "gb2312" if rep.gbk else "utf-8"
        resp = html_response(page(rep.title, body, charset), v.since, rep.gbk)
        return resp

    def _attachment(self, rep: Report) -> Response:
        v = rep.version(self.today)
        if rep.seed:
            data, _ = load_seed(rep.seed)
            blocks = seed_blocks(data)
            if rep.seed_form == "docx":
                return Response(body=blocks_docx(blocks, rep.title, rep.portal_date), ctype=DOCX, modified=v.since)
            return Response(body=blocks_pdf(blocks, rep.title), ctype="application/pdf", modified=v.since)
        if rep.static:
            ctype = {"doc": "application/msword", "wps": "application/vnd.ms-works", "scan": "application/pdf"}[rep.form]
            return Response(body=static_file(rep.static), ctype=ctype, modified=v.since)
        if rep.form == "docx":
            return Response(body=blocks_docx(report_blocks(rep, v), rep.title, v.since), ctype=DOCX, modified=v.since)
        blocks = report_blocks(rep, v, prose=rep.form != "html+pdf")
        resp = Response(body=blocks_pdf(blocks, rep.title), ctype="application/pdf", modified=v.since)
        if rep.slow:
            resp.delay = self.slow_delay
        return resp

    def _lookalike_page(self, lk: Lookalike) -> Response:
        extra = ""
        if lk.kind == "large":
            extra = f'<p>附件：<a href="{E(lk.large_path)}">{E(lk.title)}.pdf</a></p>'
        gbk = lk.site == "wusu"
        meta = xj_meta([("发布机构", lk.agency), ("日期", lk.day.isoformat())]) if lk.site == "yining" else ""
        return html_response(
            page(lk.title, meta + f'<h1 class="title">{E(lk.title)}</h1><div class="TRS_Editor"><p>{E(LOOKALIKE_TEXTS[lk.kind])}</p>{extra}</div>',
                 "gb2312" if gbk else "utf-8"),
            lk.day,
            gbk,
        )

    def _large(self, lk: Lookalike) -> Response:
        size = self.large_size
        head = b"%PDF-1.4\n% a very large scanned attachment\n"
        block = hashlib.sha256(b"large").digest() * 2048  # 64 KiB of fixed filler

        def chunks() -> Iterator[bytes]:
            yield head
            left = size - len(head)
            while left > 0:
                piece = block[: min(left, len(block))]
                left -= len(piece)
                yield piece

        return Response(ctype="application/pdf", modified=lk.day, stream=chunks, length=size)
