"""The offline field workbook (现场评估表) of one expert: only the rows assigned to him, with his ratings.

It is the self-assessment workbook format (``nfmaturity.workbook``: the same safe reader and limits, per-row
versions, text never a formula), written for the subset of rows, so the same reader reads it back. The import
follows ``assessments.imports`` and merges by the same rules (``assessments.workbook_merge``): parse outside
any transaction, preview in a short one (a row whose rating changed on the platform after the download is a
conflict; by default the platform's value is kept), then apply all or nothing with a constant number of
statements. What is its own: only the expert's assigned rows, written to his ``ExpertRating``s, a changed
不适用 losing its confirmation, and its audit actions. The pending preview is a ``WorkbookImport`` of the
formal assessment's ``Assessment`` (never reachable from the self-assessment pages, which open only
self-assessments), tied to the expert who uploaded it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Collection
from functools import partial
from io import BytesIO
from xml.sax.saxutils import escape

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from nfmaturity.assessments import workbook_merge as merging
from nfmaturity.assessments.catalogs import SectorView, catalog
from nfmaturity.assessments.errors import WorkbookRejectedError
from nfmaturity.assessments.imports import ParsedUpload, lift_sqlite_parameter_cap
from nfmaturity.assessments.models import ImportState, WorkbookImport
from nfmaturity.audit.models import AuditAction
from nfmaturity.audit.services import record_events
from nfmaturity.catalog.model import Sector
from nfmaturity.formal.models import ExpertRating, FormalAssessment, FormalState, TeamMember
from nfmaturity.formal.services_rating import (
    FROZEN,
    assigned_rows,
    seat_for_write,
    view_of,
)
from nfmaturity.formal.workflow import FormalError, lock, require
from nfmaturity.scoring.ratings import Rating
from nfmaturity.workbook.xlsx import GUIDE_SHEET, FilledWorkbook, Prefill, workbook_bytes

GUIDE = (
    "现场评估表 · 正式评估 · 每位专家一份，只含分配给您的能力子域",
    "填写方法：在“自评估”表的“评分”列逐条选择全部满足（1）、大部分满足（0.8）、部分满足（0.5）、不满足（0）或不适用；"
    "选择“不适用”须在“不适用理由”列写明理由（组长确认后生效）；“备注”列记录依据与证据。",
    "填好后在平台“正式评估 → 我的评分 → 上传现场评估表”导入：空白单元格不会清除平台上已有的评分；"
    "下载后在平台上又修改过的条目会列为冲突，默认保留平台上的评分。",
    "导入只在“现场评估与打分”阶段、您提交评分之前进行；本表只能导入您本人的评分。",
)


def export_bytes(formal: FormalAssessment, seat: TeamMember) -> bytes:
    """The expert's workbook: his rows only, carrying his ratings and their versions."""
    assessment = formal.assessment
    mine = assigned_rows(seat)
    whole = catalog(assessment.catalog_version)
    subset = whole.model_copy(update={"rows": tuple(r for r in whole.rows if r.id in mine)})
    prefill = {
        r.requirement_id: Prefill(Rating(r.value), r.reason, r.note, version=r.version)
        for r in ExpertRating.objects.filter(member=seat, row_id__in=mine)
    }
    data = workbook_bytes(
        subset,
        Sector(assessment.sector),
        prefill,
        assessment_id=assessment.pk,
        exported_at=timezone.now(),
    )
    return _field_guide(data, formal, seat)


def _field_guide(data: bytes, formal: FormalAssessment, seat: TeamMember) -> bytes:
    """Put, above the generic guide, what this workbook is and whose (the rating sheet is untouched).

    Done on the guide sheet's XML inside the package: loading and saving the whole workbook with openpyxl
    again would double the download's time for a 722-row sheet. The new lines are inline strings (text,
    never a formula) in the guide's own cell styles.
    """
    lines = (
        f"{formal.enterprise.name} 正式评估（编号 {formal.pk}） · 专家：{seat.expert.full_name}",
        *GUIDE,
    )
    source = zipfile.ZipFile(BytesIO(data))
    part = _guide_part(source)
    xml = source.read(part).decode("utf-8")
    head, rest = xml.split("<sheetData>", 1)
    body, tail = rest.split("</sheetData>", 1)
    styles = re.findall(r'<c r="A\d+" s="(\d+)"', body)
    title_style, text_style = (styles[0], styles[-1]) if styles else ("0", "0")
    shift = len(lines) + 1
    body = re.sub(r'<row r="(\d+)"', lambda m: f'<row r="{int(m[1]) + shift}"', body)
    body = re.sub(r'<c r="A(\d+)"', lambda m: f'<c r="A{int(m[1]) + shift}"', body)
    ours = "".join(
        f'<row r="{i}"><c r="A{i}" s="{title_style if i == 1 else text_style}" t="inlineStr">'
        f"<is><t>{escape(ILLEGAL_CHARACTERS_RE.sub('', text))}</t></is></c></row>"
        for i, text in enumerate(lines, start=1)
    )
    head = re.sub(
        r'<dimension ref="A1:A(\d+)"/>', lambda m: f'<dimension ref="A1:A{int(m[1]) + shift}"/>', head
    )
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = (
                f"{head}<sheetData>{ours}{body}</sheetData>{tail}".encode()
                if info.filename == part
                else source.read(info)
            )
            target.writestr(info, content)
    return out.getvalue()


def _guide_part(package: zipfile.ZipFile) -> str:
    """The guide sheet's part name, from the workbook's sheet list and relationships."""
    workbook = package.read("xl/workbook.xml").decode("utf-8")
    found = re.search(rf'<sheet [^>]*name="{GUIDE_SHEET}"[^>]*r:id="([^"]+)"', workbook)
    rels = package.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    target = None
    if found is not None:
        for rel in re.finditer(r"<Relationship [^>]*>", rels):
            if f'Id="{found[1]}"' in rel[0]:
                target = re.search(r'Target="([^"]+)"', rel[0])
    if target is None:
        raise ValueError("the workbook has no guide sheet")
    name = target[1].lstrip("/")
    return name if name.startswith("xl/") else f"xl/{name}"


def _check_belongs(
    formal: FormalAssessment, view: SectorView, mine: set[str], filled: FilledWorkbook
) -> None:
    assessment = formal.assessment
    if filled.assessment_id != assessment.pk:
        raise FormalError(
            "这份工作簿不是从本次正式评估下载的现场评估表，未导入任何评分。请在“我的评分”页下载您的现场评估表后填写。"
        )
    if (
        filled.code != view.catalog.code
        or filled.version != assessment.catalog_version
        or filled.sector.value != assessment.sector
    ):
        raise FormalError("这份工作簿的标准版本或评估环节与本次正式评估不符，未导入任何评分。")
    problems = []
    for row in filled.rows:
        requirement = view.requirements.get(row.requirement_id)
        where = row.place or f"第{row.row_number}行"
        if requirement is None:
            problems.append(f"{where}：该行的要求编号不在本次评估的评分标准中（可能被改动过）")
        elif requirement.row not in mine:
            problems.append(f"{where}：该要求所在的能力子域没有分配给您")
    if problems:
        raise WorkbookRejectedError(problems)


def _writable_seat(actor: User, locked: FormalAssessment) -> TeamMember:
    seat = seat_for_write(actor, locked)
    require(locked, "导入现场评估表", FormalState.ONSITE)
    if seat.ratings_submitted_at is not None:
        raise FormalError(FROZEN)
    return seat


def preview(*, formal: FormalAssessment, actor: User, parsed: ParsedUpload) -> WorkbookImport:
    """Record what importing the parsed workbook would change; nothing is rated yet."""
    view = view_of(formal)
    with transaction.atomic():
        locked = lock(formal)
        seat = _writable_seat(actor, locked)
        mine = assigned_rows(seat)
        _check_belongs(locked, view, mine, parsed.workbook)
        current = {r.requirement_id: r for r in ExpertRating.objects.filter(member=seat)}
        # A field workbook is always written with per-row versions: a row that lost its version is a
        # conflict wherever he has a rating, whatever the export time says.
        diff = merging.compare(view, parsed.workbook, current, since=None)
        return merging.store_preview(
            assessment_id=locked.assessment_id,
            filename=parsed.filename,
            sha256=parsed.sha256,
            filled=parsed.workbook,
            diff=diff,
            actor=actor,
        )


def pending_import(formal: FormalAssessment, actor: User, import_pk: int) -> WorkbookImport:
    """The expert's own previewed import of this formal assessment (404 for anyone else's)."""
    found = WorkbookImport.objects.filter(
        pk=import_pk, assessment_id=formal.assessment_id, uploaded_by=actor
    ).first()
    if found is None:
        raise Http404
    return found


def apply(
    *, formal: FormalAssessment, actor: User, import_pk: int, take_workbook: Collection[str] = ()
) -> int:
    """Write the previewed changes and the chosen conflicts, all or nothing. Returns the number written."""
    lift_sqlite_parameter_cap()
    with transaction.atomic():
        locked = lock(formal)
        seat = _writable_seat(actor, locked)
        pending = (
            WorkbookImport.objects.select_for_update()
            .filter(pk=import_pk, assessment_id=locked.assessment_id, uploaded_by=actor)
            .first()
        )
        if pending is None:
            raise Http404
        if pending.state != ImportState.PENDING:
            raise FormalError("该工作簿已导入过，请勿重复导入")
        view = view_of(locked)
        mine = assigned_rows(seat)
        todo = merging.plan(pending, take_workbook)
        current = {r.requirement_id: r for r in ExpertRating.objects.select_for_update().filter(member=seat)}
        stale = merging.stale(todo.writes, current)
        if stale:
            raise FormalError(merging.stale_message(stale, "已被"))
        lost = [w for w in todo.writes if view.requirements[w["requirement_id"]].row not in mine]
        if lost:
            raise FormalError("导入未执行：部分要求所在的能力子域已不再分配给您，请重新下载现场评估表。")
        now = timezone.now()

        merged = merging.merge(todo.writes, current, view, partial(ExpertRating, formal=locked, member=seat))
        ExpertRating.objects.bulk_create(merged.created)
        keep = [_same_verdict(merged.olds[r.requirement_id], r) for r in merged.updated]
        merging.update_ratings(
            ExpertRating,
            merged.updated,
            also=(
                "updated_at = %s, "
                "na_confirmed_by_id = CASE WHEN v.column5 = 1 THEN {table}.na_confirmed_by_id ELSE NULL END, "
                "na_confirmed_at = CASE WHEN v.column5 = 1 THEN {table}.na_confirmed_at ELSE NULL END"
            ),
            params=[connection.ops.adapt_datetimefield_value(now)],
            flags=keep,
        )
        events = merging.rating_events(AuditAction.EXPERT_RATING_CHANGED, merged, formal_id=locked.pk)
        events.append(
            merging.import_event(
                AuditAction.FIELD_WORKBOOK_IMPORTED, locked, pending, todo, member_id=seat.pk
            )
        )
        record_events(actor=actor, events=events, organisation_id=locked.enterprise.organisation_id)
        merging.mark_applied(pending, now)
    return len(todo.writes)


def _same_verdict(old: dict[str, str] | None, rating: ExpertRating) -> bool:
    """A changed value or 不适用 reason loses the 组长's confirmation of 不适用; a changed note keeps it."""
    return old is not None and (old["value"], old["reason"]) == (rating.value, rating.reason)
