"""Analytics data that is not a score: a regulator's saved policy rules, and enterprises' yearly
techno-economic indicators (the definitions of both live in code: ``rules.py``, ``indicators.py``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nfmaturity.accounts.models import Organisation
from nfmaturity.enterprises.models import Enterprise


class PolicyRule(models.Model):
    """A named rule of a regulator's organisation: conditions over results and profile, combined with AND.

    ``definition`` is the JSON of ``rules.RuleDefinition`` (validated by it on every save and every read). The
    rule runs inside the organisation's jurisdiction only. ``version`` rises on every change: an edit form
    names the version it was based on, so two colleagues cannot silently overwrite each other.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="policy_rules")
    name = models.CharField("规则名称", max_length=100)
    description = models.TextField("用途说明", blank=True)
    definition = models.JSONField("条件")
    # The key of the shipped example it was copied from, if any (the examples live in rules.EXAMPLES).
    copied_from = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="policy_rule_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class IndicatorReport(models.Model):
    """One enterprise's techno-economic indicators for one year (definitions: ``indicators.DEFINITIONS``,
    whose keys are these column names). A blank figure is NULL: not reported, never zero."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="indicator_reports")
    year = models.PositiveSmallIntegerField("年度")
    equipment_networked = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    key_process_nc = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    sensor_coverage = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    platform_connected = models.BooleanField(null=True, blank=True)
    digital_investment = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    energy_per_unit = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    # Which product the energy figure is for (氧化铝, 阴极铜…): figures of different products do not compare.
    energy_product = models.CharField("能耗对应产品", max_length=50, blank=True)
    version = models.PositiveIntegerField(default=1)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="indicator_report_one_per_year")
        ]
        indexes = [models.Index(fields=["year"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year}"
