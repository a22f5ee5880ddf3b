"""The files an enterprise attaches to a contested point (再次论证): checked and stored before the write.

Writing files is slow I/O and must not happen while the formal assessment is locked, so ``store`` checks
every file (type by extension and content, size, SHA-256) and then writes each one to its final path
(``formal/<id>/<sha[:2]>/<sha256><ext>``, the storage adding a suffix where that name is taken) before the
transaction opens; the transaction only inserts the rows (``attach``). A crash can therefore never leave a
row whose file is missing. When the transaction refuses or fails, ``discard`` removes exactly the files
``store`` wrote: each upload gets its own file name, so no other row can point at one of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from nfmaturity.assessments.errors import AssessmentError
from nfmaturity.assessments.evidence import CheckedFile, check_upload
from nfmaturity.formal.models import ContestPoint, Evidence, EvidenceLink, EvidenceSource
from nfmaturity.formal.workflow import FormalError


def check(files: Sequence[UploadedFile[bytes]]) -> list[tuple[UploadedFile[bytes], CheckedFile]]:
    """Every file checked before any is written: one refused file refuses the contest, writing nothing."""
    checked = []
    for upload in files:
        try:
            checked.append((upload, check_upload(upload)))
        except AssessmentError as exc:
            raise FormalError(exc.message) from None
    return checked


def store(
    formal_pk: int, actor: User, checked: Sequence[tuple[UploadedFile[bytes], CheckedFile]]
) -> list[Evidence]:
    """Write the checked files; returns their evidence rows, not yet saved. Call outside any transaction."""
    stored: list[Evidence] = []
    try:
        for upload, info in checked:
            evidence = Evidence(
                formal_id=formal_pk,
                source=EvidenceSource.ENTERPRISE,
                description=f"企业就异议提供的证据：{info.name}",
                collected_on=timezone.localdate(),
                collected_by=actor,
                original_name=info.name,
                extension=info.extension,
                content_type=info.content_type,
                size=info.size,
                sha256=info.sha256,
            )
            evidence.file.save(info.name, upload, save=False)
            stored.append(evidence)
    except BaseException:
        discard(stored)
        raise
    return stored


def attach(stored: Sequence[Evidence], point: ContestPoint) -> None:
    """Inside the contest's transaction: the rows of the files already on disk, linked to the point's
    requirement (two statements whatever the number of files)."""
    for evidence in stored:
        evidence.formal_id = point.formal_id
        evidence.contest_point = point
    Evidence.objects.bulk_create(stored)
    EvidenceLink.objects.bulk_create(
        EvidenceLink(evidence=e, formal_id=point.formal_id, requirement_id=point.requirement_id)
        for e in stored
    )


def discard(stored: Sequence[Evidence]) -> None:
    """Remove the files ``store`` wrote, after the transaction that would have used them was refused."""
    for evidence in stored:
        if evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)
