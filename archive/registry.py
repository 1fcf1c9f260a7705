"""The registry: the bodies gongkai watches, as data (YAML or CSV).

Contract (shared with the archive and the sample portal)::

    agencies:
      - name: 伊宁市潘津镇人民政府        # as the reports name it
        kind: town                       # government | department | town | institution
        region: "654002"                 # 区划代码 of the region it belongs to
        parent: 伊宁市人民政府
        portal: http://www.yining.gov.cn/yining/   # home page of the portal that publishes its reports
        cms: xj_shtml                    # spider family: xj_shtml | trs | hanweb | generic
        columns: ["http://www.yining.gov.cn/yining/c118486/"]   # report columns; [] = discover
        deadline: null                   # optional "MM-DD" local rule (towns)
        aliases: [潘津乡人民政府]          # optional: other names its reports print
    regions:                             # optional per-region local rules
      "654002": {town_deadline: "01-31"}
    sites:                               # optional per-host crawl settings (gongkai extension)
      www.yining.gov.cn: {delay: 2.0, concurrency: 1}

CSV has the same columns with `columns` and `aliases` separated by spaces (no regions/sites).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

KINDS = ("government", "department", "town", "institution")
# the same kinds as a registry kept in Chinese writes them
KIND_WORDS = {"政府": "government", "人民政府": "government", "部门": "department", "政府部门": "department",
              "乡镇": "town", "街道": "town", "乡镇街道": "town", "事业单位": "institution",
              "其他机构": "institution"}
FAMILIES = ("xj_shtml", "trs", "hanweb", "generic")
FIELDS = ("name", "kind", "region", "parent", "portal", "cms", "columns", "deadline", "aliases")
_DEADLINE = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class RegistryError(ValueError):
    """A registry file that cannot be used; the message names the file and the row."""


@dataclass
class Registry:
    agencies: list[dict[str, Any]]
    regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = ""

    def select(self, names: list[str] | tuple[str, ...]) -> Registry:
        """Only the named agencies (exact name, or a unique substring such as 潘津镇)."""
        if not names:
            return self
        chosen: list[dict[str, Any]] = []
        for want in names:
            exact = [a for a in self.agencies if a["name"] == want]
            hits = exact or [a for a in self.agencies if want in a["name"]]
            if not hits:
                raise RegistryError(f"{self.source}: no agency named {want!r}")
            chosen.extend(h for h in hits if h not in chosen)
        return Registry(chosen, self.regions, self.sites, self.source)

    def hosts(self) -> set[str]:
        """Every host named by the registry: these, and *.gov.cn, are the official domains."""
        out: set[str] = set()
        for a in self.agencies:
            for url in [a.get("portal"), *a.get("columns", [])]:
                if url:
                    out.add(urlsplit(url).hostname or "")
        out.discard("")
        return out


def _check_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryError(f"{where}: not an http(s) URL: {url!r}")
    return url


def normalise_agency(row: dict[str, Any], where: str) -> dict[str, Any]:
    """Validate one registry row and fill defaults; raises RegistryError naming `where`."""
    name = str(row.get("name") or "").strip()
    if not name:
        raise RegistryError(f"{where}: agency without a name")
    where = f"{where} ({name})"
    kind = str(row.get("kind") or "").strip() or "department"
    kind = KIND_WORDS.get(kind, kind)
    if kind not in KINDS:
        raise RegistryError(
            f"{where}: kind {kind!r} is not one of {', '.join(KINDS)} (or {'/'.join(KIND_WORDS)})"
        )
    cms = str(row.get("cms") or "").strip() or "generic"
    if cms not in FAMILIES:
        raise RegistryError(f"{where}: cms {cms!r} is not one of {', '.join(FAMILIES)}")
    columns = row.get("columns") or []
    if isinstance(columns, str):
        columns = columns.split()
    columns = [_check_url(str(c).strip(), where) for c in columns if str(c).strip()]
    portal = str(row.get("portal") or "").strip() or None
    if portal:
        _check_url(portal, where)
    if not portal and not columns:
        raise RegistryError(f"{where}: needs a portal or at least one column URL")
    deadline = row.get("deadline")
    deadline = str(deadline).strip() if deadline not in (None, "") else None
    if deadline is not None and not _DEADLINE.match(deadline):
        raise RegistryError(f"{where}: deadline {deadline!r} is not MM-DD")
    region = row.get("region")
    aliases = row.get("aliases") or []
    if isinstance(aliases, str):
        aliases = aliases.split()
    out = {
        "name": name,
        "kind": kind,
        "region": str(region).strip() if region not in (None, "") else None,
        "parent": (str(row.get("parent")).strip() or None) if row.get("parent") else None,
        "portal": portal,
        "cms": cms,
        "columns": columns,
        "deadline": deadline,
        "aliases": [str(a).strip() for a in aliases if str(a).strip()],
    }
    return out


def parse_registry(text: str, source: str, fmt: str | None = None) -> Registry:
    """Parse registry text; `fmt` is "yaml" or "csv" (default: guessed from the source name)."""
    fmt = fmt or ("csv" if source.lower().endswith(".csv") else "yaml")
    regions: dict[str, Any] = {}
    sites: dict[str, Any] = {}
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise RegistryError(f"{source}: CSV needs a header row with at least 'name'")
        rows = list(reader)
        where = [f"{source}:{i + 2}" for i in range(len(rows))]
    else:
        try:
            # libyaml's loader when PyYAML has it: a registry of thousands of bodies loads in
            # a fraction of the pure-Python loader's time (and is loaded by every crawl process)
            doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        except yaml.YAMLError as e:
            raise RegistryError(f"{source}: not valid YAML: {e}") from e
        if not isinstance(doc, dict) or not isinstance(doc.get("agencies"), list):
            raise RegistryError(f"{source}: expected a mapping with an 'agencies' list")
        rows = doc["agencies"]
        regions = {str(k): v for k, v in (doc.get("regions") or {}).items()}
        sites = {str(k): v for k, v in (doc.get("sites") or {}).items()}
        where = [f"{source}: agencies[{i}]" for i in range(len(rows))]
    agencies: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row, w in zip(rows, where, strict=True):
        if not isinstance(row, dict):
            raise RegistryError(f"{w}: expected a mapping")
        a = normalise_agency(row, w)
        if a["name"] in seen:
            raise RegistryError(f"{w}: agency {a['name']!r} listed twice")
        seen.add(a["name"])
        agencies.append(a)
    return Registry(agencies, regions, sites, source)


def load_registry(path: str | Path | None = None) -> Registry:
    """Load a registry file; None = the bundled default (伊宁市 and the bodies of the seed reports)."""
    if path is None:
        text = resources.files("archive").joinpath("registries/yining.yaml").read_text("utf-8")
        return parse_registry(text, "archive/registries/yining.yaml")
    p = Path(path)
    try:
        text = p.read_text("utf-8-sig")
    except OSError as e:
        raise RegistryError(f"{p}: cannot read: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise RegistryError(f"{p}: not UTF-8 text") from e
    return parse_registry(text, str(p))


def to_yaml(registry: Registry) -> str:
    doc: dict[str, Any] = {"agencies": registry.agencies}
    if registry.regions:
        doc["regions"] = registry.regions
    if registry.sites:
        doc["sites"] = registry.sites
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
