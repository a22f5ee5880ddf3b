"""The enterprise registry: profile, assessable units, contacts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nfmaturity.accounts.models import Organisation
from nfmaturity.catalog.model import Sector
from nfmaturity.enterprises import regions


class SectorChoice(models.TextChoices):
    """The catalog's Sector (Appendix B tables) as database choices: same values, same labels."""

    MINING = Sector.MINING.value, Sector.MINING.label
    SMELTING = Sector.SMELTING.value, Sector.SMELTING.label
    PROCESSING = Sector.PROCESSING.value, Sector.PROCESSING.label


class Metal(models.TextChoices):
    ALUMINIUM = "al", "铝"
    COPPER = "cu", "铜"
    LEAD_ZINC = "pbzn", "铅锌"
    TIN = "sn", "锡"
    ANTIMONY = "sb", "锑"
    NICKEL = "ni", "镍"
    TUNGSTEN = "w", "钨"
    RARE_EARTH = "re", "稀土"
    MANGANESE = "mn", "锰"
    INDIUM = "in", "铟"
    MOLYBDENUM = "mo", "钼"
    MAGNESIUM = "mg", "镁"
    TITANIUM = "ti", "钛"
    GOLD = "au", "金"
    SILVER = "ag", "银"
    OTHER = "other", "其他"


class SizeClass(models.TextChoices):
    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"


class VerificationState(models.TextChoices):
    PENDING = "pending", "待核验"
    VERIFIED = "verified", "已核验"
    REJECTED = "rejected", "未通过核验"


class Enterprise(models.Model):
    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="enterprise")
    name = models.CharField("企业名称", max_length=200)
    # Null only while a disputed code has been taken away (reassigned to the company it belongs to).
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    # A new registration is pending until a regulator of its jurisdiction (or the platform admin) verifies
    # it; pending enterprises can self-assess but are counted in no statistic.
    verification = models.CharField(
        "核验状态",
        max_length=16,
        choices=VerificationState.choices,
        default=VerificationState.PENDING,
        db_index=True,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField("核验说明", blank=True)
    region_code = models.CharField("所在地区", max_length=6, db_index=True)
    # Lists of SectorChoice / Metal values: an enterprise is usually in one or two of each.
    sectors = models.JSONField("所属环节", default=list)
    metals = models.JSONField("主要金属", default=list)
    size = models.CharField("企业规模", max_length=8, choices=SizeClass.choices)
    above_scale = models.BooleanField("规模以上工业企业", default=False)
    address = models.CharField("地址", max_length=200, blank=True)
    # The parent group (集团), if any: an expert's declared relation with the group bars him from the
    # enterprise's formal assessment team as a relation with the enterprise itself does (standard §4.4).
    group_name = models.CharField("所属集团", max_length=200, blank=True)
    group_uscc = models.CharField("集团统一社会信用代码", max_length=18, blank=True)
    is_demo = models.BooleanField("演示数据", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def region_name(self) -> str:
        return regions.full_name(self.region_code)

    @property
    def sector_labels(self) -> list[str]:
        return [SectorChoice(s).label for s in self.sectors]

    @property
    def metal_labels(self) -> list[str]:
        return [Metal(m).label for m in self.metals]


class UnitKind(models.TextChoices):
    PLANT = "plant", "工厂"
    BRANCH = "branch", "分公司"
    WORKSHOP = "workshop", "车间"
    MINE = "mine", "矿山"


class Unit(models.Model):
    """A part of the enterprise that can be assessed on its own."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="units")
    name = models.CharField("单元名称", max_length=200)
    kind = models.CharField("单元类型", max_length=16, choices=UnitKind.choices)
    sector = models.CharField("主要环节", max_length=16, choices=SectorChoice.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "name"], name="unit_name_unique")]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class ClaimState(models.TextChoices):
    PENDING = "pending", "待处理"
    GRANTED = "granted", "已改配"
    REFUSED = "refused", "已驳回"


class CodeClaim(models.Model):
    """A company says a registered 统一社会信用代码 is its own: the verifier decides, with a reason."""

    uscc = models.CharField("统一社会信用代码", max_length=18, db_index=True)
    # The enterprise that held the code when the claim was made (the alleged squatter).
    holder = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims_against"
    )
    # The claimant's own (pending) enterprise, registered without the disputed code.
    claimant = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="claims_made")
    statement = models.TextField("认领说明")
    state = models.CharField(max_length=16, choices=ClaimState.choices, default=ClaimState.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField("处理理由", blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.uscc} ← {self.claimant}"


class Contact(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("姓名", max_length=100)
    title = models.CharField("职务", max_length=100, blank=True)
    phone = models.CharField("电话", max_length=32, blank=True)
    email = models.EmailField("邮箱", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
