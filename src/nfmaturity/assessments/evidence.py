"""Checking uploaded evidence files: allowed types by extension *and* content, size, SHA-256.

Only the leading bytes are checked: evidence is stored and handed back as a download, never opened, parsed
or decompressed by the platform, so a zip bomb named .docx costs its compressed size on disk and nothing more.
Every refusal is an AssessmentError with a Chinese message (the view answers 422), never a server error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from nfmaturity.assessments.errors import AssessmentError

# extension → (content type, accepted leading bytes); None means "plain text, must decode as UTF-8".
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    ".doc": ("application/msword", _OLE),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".txt": ("text/plain; charset=utf-8", None),
}
ALLOWED_LABEL = "PDF、图片（PNG/JPG）、Word、Excel、PowerPoint、文本"


class DuplicateEvidenceError(AssessmentError):
    """The same file (same SHA-256) is already attached to this requirement."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    extension: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload: UploadedFile[bytes]) -> CheckedFile:
    name = PurePath((upload.name or "file").replace("\\", "/")).name
    extension = PurePath(name).suffix.lower()
    if len(name) > 120:  # keep the extension when shortening a very long name
        name = PurePath(name).stem[: 120 - len(extension)] + PurePath(name).suffix
    if extension not in ALLOWED:
        raise AssessmentError(f"不支持的文件类型“{extension or '无扩展名'}”，仅支持 {ALLOWED_LABEL}")
    size = upload.size or 0
    if size == 0:
        raise AssessmentError("文件为空（0 字节），请检查后重新选择")
    limit = settings.NFM_UPLOAD_MAX_BYTES
    if size > limit:
        raise AssessmentError(f"文件过大（{size / 1048576:.1f} MB），上限为 {limit // 1048576} MB")
    content_type, magics = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(8192)
    if magics is None:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the 8 KiB boundary is fine; anything earlier is not text.
            if exc.start < len(head) - 4:
                raise AssessmentError(
                    "文本文件须为 UTF-8 编码（记事本“另存为”时在“编码”处选择 UTF-8）"
                ) from None
    elif not any(head.startswith(m) for m in magics):
        raise AssessmentError(
            f"文件内容与扩展名“{extension}”不符（可能是改了扩展名的其他文件），请上传真实的 {extension[1:].upper()} 文件"
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(
        name=name, extension=extension, content_type=content_type, size=size, sha256=digest.hexdigest()
    )
