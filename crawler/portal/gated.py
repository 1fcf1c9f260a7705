"""The sample portal's sites that only a browser reads (sites.BROWSER_COLUMNS).

- `gated`: every page and file sits behind a script gate like 瑞数's: without the right cookie the
  answer is HTTP 412 and a script that computes the cookie's value from a seed the server gave
  (FNV-1a of seed + salt, done in JavaScript), sets it and reloads. The report column's list is
  drawn by the page's own script from a JSON answer of its own shape (titles base64-encoded,
  paths reversed, dates as yyyymmdd numbers), behind the gate as well.
- `drawn`: no gate; the list's records sit in an inline array (base64 JSON in pieces) that the
  page's script decodes and writes into an empty <ul>; the page says how many records there are.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from http.cookies import CookieError, SimpleCookie

from .pages import E, links, page

GATE_COOKIE = "FSSBBIl1UgzbN7N80T"
GATE_PREFIX = "/gated/"
_SALT = "fh2026"
DRAWN_BOX = "xxgk_nb_box"
GATED_BOX = "nbList"
GATED_API = "/gated/zfxxgk/ndbg/getNbList.do"


def fnv1a(text: str) -> str:
    h = 0x811C9DC5
    for ch in text:
        h ^= ord(ch)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return format(h, "x")


def gate_value(seed: str) -> str:
    return f"{seed}_{fnv1a(seed + _SALT)}"


def gate_ok(cookie_header: str | None) -> bool:
    """The request carries a cookie the gate's script would have computed (from any seed)."""
    if not cookie_header:
        return False
    try:
        jar = SimpleCookie(cookie_header)
    except CookieError:
        return False
    morsel = jar.get(GATE_COOKIE)
    if morsel is None or "_" not in morsel.value:
        return False
    seed = morsel.value.split("_", 1)[0]
    return gate_value(seed) == morsel.value


def gate_page(seed: str | None = None) -> bytes:
    """The gate's answer: the seed, the cookie computed from it by the script, then a reload. Real
    gates hand out a fresh seed each time; the sample portal's is fixed (its answers are byte-for-byte
    stable), and any seed with its right value opens the gate."""
    seed = seed or fnv1a("seed" + _SALT) + fnv1a(_SALT + "seed")
    script = (
        "(function(){var _$s='" + seed + "';"
        "function _$f(s){var h=0x811c9dc5;for(var i=0;i<s.length;i++){h^=s.charCodeAt(i);"
        "h=Math.imul(h,0x01000193)>>>0;}return h.toString(16);}"
        "document.cookie='" + GATE_COOKIE + "='+_$s+'_'+_$f(_$s+'" + _SALT + "')+'; path=/';"
        "location.reload();})();"
    )
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><script>{script}</script></head>'
            "<body></body></html>").encode()


def _hdr(title: str, home: str, crumb: str) -> str:
    return f'<div class="header"><a href="{home}">{E(title)}</a></div><div class="crumb">{E(crumb)}</div>'


def home_page(title: str, home: str, column: str) -> str:
    return page(title, f'<div class="header"><a href="{home}">{E(title)}</a></div>'
                + links([("政府信息公开年报", column)]))


def gated_column(title: str, home: str) -> str:
    """An empty list and the script that fills it from getNbList.do."""
    script = (
        "(function(){var x=new XMLHttpRequest();x.open('GET','" + GATED_API + "?cid=ndbg&t='+Date.now());"
        "x.onload=function(){var r=JSON.parse(x.responseText),h='';"
        "for(var i=0;i<r.d.length;i++){var e=r.d[i],t=decodeURIComponent(escape(atob(e[0]))),"
        "u=e[1].split('').reverse().join(''),d=String(e[2]);"
        "h+='<li><a target=\"_blank\" href=\"'+u+'\" title=\"'+t+'\">'+t+'</a><span>'+d.slice(0,4)+'-'"
        "+d.slice(4,6)+'-'+d.slice(6)+'</span></li>';}"
        "document.getElementById('" + GATED_BOX + "').innerHTML=h;};x.send();})();"
    )
    return page("政府信息公开年报", _hdr(title, home, "首页 > 政府信息公开 > 政府信息公开年报")
                + f'<ul id="{GATED_BOX}" class="list"></ul><script>{script}</script>')


def gated_records(items: list[tuple[str, str, date]]) -> bytes:
    rows = [[base64.b64encode(t.encode()).decode(), u[::-1], int(d.strftime("%Y%m%d"))] for t, u, d in items]
    return json.dumps({"s": 1, "c": len(rows), "d": rows}).encode()


def drawn_column(title: str, home: str, items: list[tuple[str, str, date]]) -> str:
    """The records as base64 JSON cut in pieces, decoded and drawn by the page's script."""
    blob = base64.b64encode(json.dumps([[t, u, d.isoformat()] for t, u, d in items]).encode()).decode()
    pieces = ",".join(f"'{blob[i:i + 40]}'" for i in range(0, len(blob), 40))
    script = (
        f"var _0x4e1a=[{pieces}];"
        "(function(a){var r=JSON.parse(atob(a.join(''))),h='';"
        "for(var i=0;i<r.length;i++){h+='<li><a href=\"'+r[i][1]+'\">'+r[i][0]+'</a><span class=\"date\">'"
        "+r[i][2]+'</span></li>';}"
        "document.getElementById('" + DRAWN_BOX + "').innerHTML=h;})(_0x4e1a);"
    )
    return page("政府信息公开年报", _hdr(title, home, "首页 > 信息公开 > 政府信息公开年报")
                + f'<ul id="{DRAWN_BOX}"></ul><div class="page">共{len(items)}条</div><script>{script}</script>')
