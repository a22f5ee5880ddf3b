"""Writes of the analytics app: saving, changing and deleting a regulator's policy rules, recording an export of
a rule's matches, and saving an enterprise's yearly indicators. One transaction each, the changed row locked,
an audit event in the same transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from nfmaturity.accounts.models import Organisation
from nfmaturity.analytics.indicators import BY_KEY, DEFINITIONS, IndicatorValues
from nfmaturity.analytics.models import IndicatorReport, PolicyRule
from nfmaturity.analytics.rules import RuleDefinition
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_event
from nfmaturity.enterprises.models import Enterprise


class AnalyticsError(Exception):
    """A refused write, with the reason in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleError(AnalyticsError):
    """The row changed since the form was loaded: the caller shows what was typed beside the newer data."""


def _rule_fields(name: str, description: str, definition: RuleDefinition) -> dict[str, Any]:
    return {"name": name, "description": description, "definition": definition.model_dump(mode="json")}


def create_rule(
    *,
    organisation: Organisation,
    actor: User,
    name: str,
    description: str,
    definition: RuleDefinition,
    copied_from: str = "",
) -> PolicyRule:
    fields = _rule_fields(name.strip(), description.strip(), definition)
    try:
        with transaction.atomic():
            rule = PolicyRule.objects.create(
                organisation=organisation,
                created_by=actor,
                updated_by=actor,
                copied_from=copied_from,
                **fields,
            )
            record_event(
                actor=actor,
                action=AuditAction.POLICY_RULE_CREATED,
                obj=rule,
                organisation_id=organisation.pk,
                new={**fields, "copied_from": copied_from},
            )
    except IntegrityError:
        raise AnalyticsError(f"本机构已有名为“{fields['name']}”的规则，请换一个名称") from None
    return rule


def update_rule(
    *,
    rule: PolicyRule | int,
    actor: User,
    base_version: int,
    name: str,
    description: str,
    definition: RuleDefinition,
) -> PolicyRule:
    fields = _rule_fields(name.strip(), description.strip(), definition)
    try:
        with transaction.atomic():
            locked = PolicyRule.objects.select_for_update().get(pk=rule if isinstance(rule, int) else rule.pk)
            if locked.version != base_version:
                raise StaleError("这条规则在您打开编辑页之后已被修改，请对照下方的最新内容后重新保存")
            old = {k: getattr(locked, k) for k in fields}
            for key, value in fields.items():
                setattr(locked, key, value)
            locked.version += 1
            locked.updated_by = actor
            locked.save()
            record_event(
                actor=actor,
                action=AuditAction.POLICY_RULE_UPDATED,
                obj=locked,
                organisation_id=locked.organisation_id,
                old=old,
                new=fields,
            )
    except IntegrityError:
        raise AnalyticsError(f"本机构已有名为“{fields['name']}”的规则，请换一个名称") from None
    return locked


def delete_rule(*, rule: PolicyRule, actor: User, base_version: int) -> None:
    with transaction.atomic():
        locked = PolicyRule.objects.select_for_update().get(pk=rule.pk)
        if locked.version != base_version:
            raise StaleError("这条规则在您打开页面之后已被修改，请先查看最新内容再决定是否删除")
        record_event(
            actor=actor,
            action=AuditAction.POLICY_RULE_DELETED,
            obj=locked,
            organisation_id=locked.organisation_id,
            old=_rule_fields(
                locked.name, locked.description, RuleDefinition.model_validate(locked.definition)
            ),
        )
        locked.delete()


def record_rule_export(*, rule: PolicyRule, actor: User, rows: int) -> None:
    """A list of enterprises leaving the platform is worth a line in the audit log (who, which rule, how many)."""
    record_event(
        actor=actor,
        action=AuditAction.POLICY_RULE_EXPORTED,
        obj=rule,
        organisation_id=rule.organisation_id,
        new={"name": rule.name, "rows": rows},
    )


def _as_json(value: Decimal | bool | str | None) -> str | bool | None:
    return str(value) if isinstance(value, Decimal) else value


def save_indicators(
    *, enterprise: Enterprise, year: int, values: IndicatorValues, base_version: int | None, actor: User
) -> IndicatorReport:
    """Create or change the enterprise's indicators for ``year``. ``base_version`` is the version the form was
    based on (None: the form was opened when the year had no report); a mismatch is refused as stale."""
    with transaction.atomic():
        report = IndicatorReport.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
        current = None if report is None else report.version
        if current != base_version:
            raise StaleError("该年度的指标在您打开填报页之后已被他人保存，请对照下方的最新数据后重新提交")
        keys = [d.key for d in DEFINITIONS] + ["energy_product"]
        old = None if report is None else {k: _as_json(getattr(report, k)) for k in keys}
        if report is None:
            report = IndicatorReport(enterprise=enterprise, year=year, reported_by=actor)
        else:
            report.version += 1
            report.reported_by = actor
        for key in keys:
            value = values.get(key)
            if isinstance(value, Decimal) and key in BY_KEY:
                # Stored (and audited) as the column keeps it: 38.5 → 38.50.
                value = value.quantize(Decimal(1).scaleb(-BY_KEY[key].decimals))
            setattr(report, key, value)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:  # created by someone else between our read and write
            raise StaleError("该年度的指标刚刚已被他人保存，请对照下方的最新数据后重新提交") from None
        record_event(
            actor=actor,
            action=AuditAction.INDICATORS_SAVED,
            obj=report,
            organisation_id=enterprise.organisation_id,
            old=old,
            new={"year": year, **{k: _as_json(getattr(report, k)) for k in keys}},
        )
    return report
