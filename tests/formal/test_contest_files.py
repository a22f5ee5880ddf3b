"""Files attached to a contested point: written before the write transaction, never inside it; a refused or
failed contest leaves no row and no file of its own, and removes no file another row uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from nfmaturity.accounts.models import Organisation
from nfmaturity.audit.models import AuditAction, AuditEvent
from nfmaturity.formal import services_results as svc
from nfmaturity.formal.models import ContestPoint, Evidence, FormalAssessment, FormalState
from nfmaturity.formal.workflow import FormalError
from tests.web.conftest import World

from .test_results import first_requirement, sent

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 acceptance report of the MES roll-out"


def pdf(name: str = "验收报告.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def contest(
    world: World,
    formal: FormalAssessment,
    files: list[SimpleUploadedFile],
    *,
    who: str = "ent_admin",
    argument: str = "理由",
) -> ContestPoint:
    """Contest the first level-3 requirement (rated 部分满足 by the team)."""
    return svc.contest(
        formal=formal,
        actor=world.users[who],
        requirement_id=first_requirement(formal, 3),
        argument=argument,
        files=files,
    )


def files_on_disk() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def saves(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every file the storage writes, with how many transactions were open then."""
    seen: list[tuple[str, int]] = []
    original = FileSystemStorage._save

    def spy(self: FileSystemStorage, name: str, content: Any) -> str:
        seen.append((name, len(connection.atomic_blocks)))
        return original(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", spy)
    return seen


def test_the_files_are_on_disk_before_the_transaction_opens(
    world: World,
    body: Organisation,
    experts: list,  # type: ignore[type-arg]
    saves: list[tuple[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    formal, _ = sent(world, body, experts)
    outside = len(connection.atomic_blocks)  # the test's own transaction
    seen_under_lock: list[list[str]] = []
    real_lock = svc.lock

    def lock(pk: FormalAssessment | int) -> FormalAssessment:
        seen_under_lock.append(files_on_disk())
        return real_lock(pk)

    monkeypatch.setattr(svc, "lock", lock)
    point = contest(world, formal, [pdf(), pdf("运行记录.txt", "2025 年 MES 运行日志".encode())])
    stored = list(Evidence.objects.filter(contest_point=point).order_by("id"))
    names = sorted(e.file.name for e in stored)
    # Both files were written with no transaction of the contest open, and the locked transaction found
    # them at their final, content-addressed paths.
    assert [depth for _, depth in saves] == [outside, outside]
    assert seen_under_lock == [names]
    for evidence in stored:
        assert evidence.file.name == (
            f"formal/{formal.pk}/{evidence.sha256[:2]}/{evidence.sha256}{evidence.extension}"
        )
        assert evidence.links.get().requirement_id == point.requirement_id == first_requirement(formal, 3)
        with evidence.file.open("rb") as handle:
            assert handle.read()[:5] in (b"%PDF-", b"2025 ")
    assert [e.original_name for e in stored] == ["验收报告.pdf", "运行记录.txt"]
    event = AuditEvent.objects.get(action=AuditAction.POINT_CONTESTED)
    assert event.new is not None and event.new["files"] == ["验收报告.pdf", "运行记录.txt"]


def test_a_refused_contest_leaves_no_row_and_removes_only_its_own_file(
    world: World,
    body: Organisation,
    experts: list,  # type: ignore[type-arg]
    saves: list[tuple[str, int]],
) -> None:
    formal, _ = sent(world, body, experts)
    first = contest(world, formal, [pdf()])
    kept = Evidence.objects.get(contest_point=first).file.name
    before = (ContestPoint.objects.count(), Evidence.objects.count(), files_on_disk())
    assert before[2] == [kept]
    # The same requirement again, with the same file (the same content-addressed path): refused under the
    # lock, after the file was written beside the first one.
    with pytest.raises(FormalError, match="已对"):
        contest(world, formal, [pdf()], argument="再说一次")
    assert len(saves) == 2 and saves[1][0] != kept
    assert (ContestPoint.objects.count(), Evidence.objects.count(), files_on_disk()) == before
    assert default_storage.exists(kept)  # the first point's file is still there


def test_a_failure_inside_the_transaction_removes_the_files_it_wrote(
    world: World,
    body: Organisation,
    experts: list,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    formal, _ = sent(world, body, experts)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(svc, "notify", broken)  # the last step of the transaction fails
    with pytest.raises(RuntimeError):
        contest(world, formal, [pdf()])
    formal.refresh_from_db()
    assert formal.state == FormalState.COMMUNICATION
    assert not ContestPoint.objects.exists() and not Evidence.objects.exists()
    assert files_on_disk() == []


def test_a_contest_refused_outright_writes_no_file(
    world: World,
    body: Organisation,
    experts: list,  # type: ignore[type-arg]
    saves: list[tuple[str, int]],
) -> None:
    formal, _ = sent(world, body, experts)
    with pytest.raises(PermissionDenied):  # a plain member of the enterprise reads, only its admin acts
        contest(world, formal, [pdf()], who="ent_member")
    # One bad file refuses the contest before any file is written, the good one included.
    fake = SimpleUploadedFile("记录.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(FormalError, match="不符"):
        contest(world, formal, [pdf(), fake])
    assert saves == [] and files_on_disk() == []
    assert not ContestPoint.objects.exists() and not Evidence.objects.exists()
