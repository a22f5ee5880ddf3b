"""Enterprise names compared the way people write them: duplicates are flagged, never refused.

Two registrations whose names differ only in spaces, full-width or half-width brackets or Latin letter
case are "the same name". The comparison runs in the database (an expression over ``name``), so finding
duplicates among 50 000 enterprises is one query, with no extra column to keep in step.
"""

from __future__ import annotations

from django.db.models import F, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Replace, Upper

from nfmaturity.enterprises.models import Enterprise

# Removed before comparing: ASCII and ideographic spaces, half- and full-width round brackets.
IGNORED = (" ", "\u3000", "(", ")", "（", "）")


def name_key(source: Combinable | None = None) -> Combinable:
    """The normalised form of ``source`` (default: the ``name`` column), computed by the database.

    A typed-in name is normalised by the same expression (``name_key(Value(name))``), so both sides of a
    comparison go through one implementation (SQLite's upper() knows only ASCII; PostgreSQL's knows more).
    """
    expression: Combinable = F("name") if source is None else source
    for character in IGNORED:
        expression = Replace(expression, Value(character), Value(""))
    return Upper(expression)


def same_name(name: str, *, exclude_pk: int | None = None) -> QuerySet[Enterprise]:
    """Other enterprises whose name is the same as ``name`` once normalised."""
    queryset = Enterprise.objects.annotate(name_key=name_key()).filter(name_key=name_key(Value(name)))
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset


def same_names(pks: list[int]) -> dict[int, list[Enterprise]]:
    """For each enterprise in ``pks``, the other enterprises bearing the same name (two queries)."""
    keys = dict(Enterprise.objects.filter(pk__in=pks).annotate(key=name_key()).values_list("pk", "key"))
    by_key: dict[str, list[Enterprise]] = {}
    for other in Enterprise.objects.annotate(key=name_key()).filter(key__in=set(keys.values())):
        by_key.setdefault(other.key, []).append(other)
    return {pk: [e for e in by_key.get(key, []) if e.pk != pk] for pk, key in keys.items()}
