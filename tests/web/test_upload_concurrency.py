"""An upload never locks the platform (issue 8, point 2): against the real server (``nfm serve``, SQLite,
one worker process), while one enterprise keeps uploading the slowest hostile workbook, another enterprise
logs in and saves a rating within a second."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.cookiejar import CookieJar
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

from nfmaturity.workbook.xlsx import WorkbookError, read_workbook
from tests.cli.test_web_cmd import NFM, env_for, free_port
from tests.hostile import hostile_workbooks

PASSWORD = "Ceshi-mima-2024"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Two enterprises, each with a draft 冶炼 self-assessment, made through the services in the server's database.
SETUP = """
import json, sys, django
django.setup()
from nfmaturity.assessments.services import start_self_assessment
from nfmaturity.enterprises.models import SectorChoice
from nfmaturity.enterprises.services import register_enterprise
from nfmaturity.enterprises.uscc import check_character
ids = {}
for name, seed, user in (("南丹锡业有限公司", "A1", "uploader"), ("百色铝业有限公司", "B2", "rater")):
    first17 = ("91450100" + seed + "000000000")[:17]
    reg = register_enterprise(
        profile={"name": name, "uscc": first17 + check_character(first17), "region_code": "451221",
                 "sectors": ["smelting"], "metals": ["sn"], "size": "medium", "above_scale": True, "address": ""},
        admin_username=user, admin_password=sys.argv[1])
    ids[user] = start_self_assessment(enterprise=reg.enterprise, actor=reg.admin, sector=SectorChoice.SMELTING).pk
print(json.dumps(ids))
"""


class Browser:
    """A user's cookie-keeping HTTP client; 4xx/5xx answers are returned, not raised."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def log_in(self, username: str) -> None:
        _, page = self.request("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
        status, page = self.request("/accounts/login/", urlencode(form).encode())
        assert status == 200 and "退出" in page, page[:500]


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = BytesIO()
    for key, value in fields.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        )
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {XLSX}\r\n\r\n".encode()
    )
    body.write(content + f"\r\n--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def slowest_hostile() -> tuple[str, bytes]:
    timed = []
    for name, data in hostile_workbooks().values():
        started = time.perf_counter()
        with contextlib.suppress(WorkbookError):
            read_workbook(BytesIO(data), name=name)
        timed.append((time.perf_counter() - started, name, data))
    _, name, data = max(timed)
    return name, data


def test_another_enterprise_saves_a_rating_within_a_second_while_a_hostile_upload_is_handled(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = env_for(tmp_path, NFM_SECRET_KEY="s" * 50)
    server = subprocess.Popen(
        [*NFM, "serve", "--port", str(port), "--workers", "1", "--threads", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "服务器未能启动"
                time.sleep(0.3)
        made = subprocess.run(
            [sys.executable, "-c", SETUP, PASSWORD],
            env={**env, "DJANGO_SETTINGS_MODULE": "nfmaturity.web.settings"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert made.returncode == 0, made.stderr
        ids = json.loads(made.stdout.strip().splitlines()[-1])

        uploader = Browser(base)
        uploader.log_in("uploader")
        _, page = uploader.request(f"/assessments/{ids['uploader']}/import/")
        upload_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert upload_token
        name, hostile = slowest_hostile()
        body, content_type = multipart({"csrfmiddlewaretoken": upload_token.group(1)}, name, hostile)
        uploads: list[tuple[float, float, int]] = []
        started, stop = threading.Event(), threading.Event()

        def keep_uploading() -> None:
            while not stop.is_set():
                t0 = time.monotonic()
                started.set()
                status, _ = uploader.request(
                    f"/assessments/{ids['uploader']}/import/", body, {"Content-Type": content_type}
                )
                uploads.append((t0, time.monotonic(), status))

        thread = threading.Thread(target=keep_uploading, daemon=True)
        thread.start()
        try:
            assert started.wait(10)
            rater = Browser(base)
            rater.log_in("rater")
            status, page = rater.request(f"/assessments/{ids['rater']}/rows/0/")
            assert status == 200
            token = re.search(r'"X-CSRFToken":\s*"([^"]+)"', page)
            requirement = re.search(r'data-requirement="([^"]+)"', page)
            assert token and requirement
            form = {
                "requirement_id": requirement.group(1),
                "value": "0.8",
                "version": "0",
                "reason": "",
                "note": "",
            }
            save_start = time.monotonic()
            status, _ = rater.request(
                f"/assessments/{ids['rater']}/rate/",
                urlencode(form).encode(),
                {"X-CSRFToken": token.group(1), "HX-Request": "true"},
            )
            save_end = time.monotonic()
        finally:
            stop.set()
            thread.join(60)
        assert status == 200
        assert save_end - save_start < 1.0, f"评分保存用时 {save_end - save_start:.2f} s"
        # The save really ran while an upload was being handled, and every upload was refused in Chinese.
        assert any(t0 < save_end and t1 > save_start for t0, t1, _ in uploads), uploads
        assert uploads and {s for _, _, s in uploads} == {422}, uploads
        with sqlite3.connect(tmp_path / "nfmaturity.sqlite3") as db:
            saved = db.execute(
                "SELECT value, version FROM assessments_ratingrecord WHERE assessment_id = ?", (ids["rater"],)
            ).fetchall()
            imports = db.execute("SELECT COUNT(*) FROM assessments_workbookimport").fetchone()[0]
        assert saved == [("0.8", 1)] and imports == 0
    finally:
        server.terminate()
        server.wait(timeout=30)
