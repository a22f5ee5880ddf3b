"""Plain-data views of a sector catalog, for JSON / YAML export and for other programs."""

from __future__ import annotations

from typing import Any

from nfmaturity.catalog.model import Catalog, Sector, SectorCatalog


def sector_document(catalog: Catalog, sector: Sector) -> dict[str, Any]:
    """Everything an enterprise of ``sector`` is assessed on, as JSON-ready data.

    Weights are Table 1 percentages as decimal strings: for a domain, the sum over all its Table 1
    sub-domains (whether or not this sector's table has them); for a merged row, the sum of what it covers.
    """
    view = catalog.for_sector(sector)
    return {
        "standard": view.title,
        "code": view.code,
        "version": view.version,
        "sector": sector.value,
        "sector_label": sector.label,
        "domains": [{"name": d.name, "order": d.order, "weight": str(d.weight)} for d in view.domains],
        "subdomains": [
            {
                "id": row.id,
                "name": row.name,
                "domain": row.domain,
                "type": row.type.value,
                "weight": str(row.weight),
                "covers": list(row.covers),
                "section": row.section.value,
                "order": row.order,
                "notes": list(row.notes),
            }
            for row in view.rows
        ],
        "absent": [{"subdomain": a.subdomain, "note": a.note} for a in view.absences],
        "requirements": [
            {
                "id": r.id,
                "subdomain": r.row,
                "level": int(r.level),
                "number": r.number,
                "text": r.text,
                "seed_line": r.line,
                "notes": list(r.notes),
            }
            for r in view.requirements()
        ],
        "notes": notes_document(view),
        "grades": [
            {
                "level": g.level,
                "name": g.name,
                "lower": str(g.lower),
                "upper": str(g.upper),
                "upper_closed": g.upper_closed,
                "description": g.description,
            }
            for g in view.grades
        ],
    }


def notes_document(view: SectorCatalog | Catalog) -> list[dict[str, Any]]:
    return [
        {
            "id": n.id,
            "section": n.section.value,
            "kind": n.kind.value,
            "kind_label": n.kind.label,
            "lines": list(n.lines),
            "row": n.row,
            "level": int(n.level) if n.level is not None else None,
            "text": n.text,
        }
        for n in view.notes
    ]
