"""Settings for the test suite: production settings plus a fixed test key, fast hashing, plain static files.

DATABASE_URL still selects PostgreSQL, so the same suite runs on both databases.
"""

import os

os.environ.setdefault("NFM_SECRET_KEY", "test-only-secret-key-never-used-in-production-0123456789")
os.environ.setdefault("NFM_DATA_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "nfm-test-data"))

from nfmaturity.web.settings import *  # noqa: F403
from nfmaturity.web.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when it is missing)

# Background tasks run inline (where a test needs the queue itself, tests/reports/test_jobs*.py turns it off).
from nfmaturity.web.settings import Q_CLUSTER  # noqa: E402

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
