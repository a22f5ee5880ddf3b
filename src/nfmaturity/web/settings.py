"""Settings of the web platform, read from environment variables (see docs/web.md).

SQLite under NFM_DATA_DIR by default so a fresh clone runs at once; DATABASE_URL selects PostgreSQL.
With NFM_DEBUG off (production) a real NFM_SECRET_KEY is mandatory: we never invent a random key,
which would log everybody out on every restart and differ between app servers.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from nfmaturity.web.env import env_bool, env_int, env_list, env_secret, env_str

# Lets forms and admins name their model at run time (ModelForm[Unit]), as mypy --strict wants.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("NFM_DATA_DIR", "./var")).resolve()

DEBUG = env_bool("NFM_DEBUG", False)
# Used only when debugging; production refuses it below.
_DEV_SECRET_KEY = "nfm-dev-only-insecure-key-do-not-use-in-production-0123456789"
SECRET_KEY = env_secret("NFM_SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "生产模式（NFM_DEBUG 关闭）必须设置 NFM_SECRET_KEY 或 NFM_SECRET_KEY_FILE；"
            "本机试用请设置 NFM_DEBUG=true，或使用 nfm demo"
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured("NFM_SECRET_KEY 太短或仍是开发用密钥：至少需要 32 个字符的随机值")

ALLOWED_HOSTS = env_list("NFM_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if not DEBUG else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("NFM_CSRF_TRUSTED_ORIGINS", [])
# One switch for a platform served over HTTPS behind a reverse proxy (docs/web.md, "HTTPS"): cookies only
# over HTTPS, HSTS, and the proxy's X-Forwarded-Proto trusted to say the request came in over HTTPS.
# NFM_SECURE_COOKIES is its former name, still read so existing deployments keep their cookies secure.
HTTPS = env_bool("NFM_HTTPS", env_bool("NFM_SECURE_COOKIES", False))
# The platform's public address ("https://nfm.example.cn"), for links that leave it: the QR code on a report
# points to the public verification page there. Empty: the first allowed host is used.
NFM_SITE_URL = env_str("NFM_SITE_URL", "")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_HSTS_SECONDS = env_int("NFM_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("NFM_SSL_REDIRECT", False)
SESSION_COOKIE_HTTPONLY = True
# Pages hand the token to htmx from the page itself (hx-headers on <body>), so no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True
# A session ends after this much inactivity; accounts.sessions slides it forward while the user works.
SESSION_COOKIE_AGE = env_int("NFM_SESSION_IDLE_HOURS", 8) * 3600
X_FRAME_OPTIONS = "DENY"
# A refused form submission explains itself in Chinese with the navigation kept (web/errors.py).
CSRF_FAILURE_VIEW = "nfmaturity.web.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "nfmaturity.web",
    "nfmaturity.audit",
    "nfmaturity.accounts",
    "nfmaturity.enterprises",
    "nfmaturity.assessments",
    "nfmaturity.formal",
    "nfmaturity.analytics",
    "nfmaturity.plans",
    "nfmaturity.reports",
    "nfmaturity.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside whitenoise, so static files get the CSP and Permissions-Policy too.
    "nfmaturity.web.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "nfmaturity.accounts.sessions.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user is known: the 405 page shows the user's own navigation.
    "nfmaturity.web.errors.MethodNotAllowedPage",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nfmaturity.web.urls"
WSGI_APPLICATION = "nfmaturity.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nfmaturity.accounts.context.current_membership",
            ],
        },
    }
]

_database_url = env_str("DATABASE_URL", "")
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(_database_url, conn_max_age=env_int("NFM_DB_CONN_MAX_AGE", 60))
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "nfmaturity.sqlite3"),
            # Several people save ratings at once: wait for the write lock instead of failing at once.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's checks, worded in our Chinese (its zh_Hans catalog misses the 5.2 "too short" message).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "nfmaturity.accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "nfmaturity.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "nfmaturity.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "nfmaturity.accounts.passwords.NumericPasswordValidator"},
]
# Login throttling (django-axes, see accounts/throttle.py). Its first backend refuses a locked-out login
# before the password is even checked; the counts live in the database, shared by every worker.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "nfmaturity.accounts.throttle.LoginThrottle"
AXES_FAILURE_LIMIT = 5
# Both counted separately (LoginThrottle.get_failures relies on this order): the account, and the address
# with its own higher limit.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
NFM_LOGIN_ADDRESS_LIMIT = env_int("NFM_LOGIN_ADDRESS_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("NFM_LOGIN_LOCKOUT_MINUTES", 15))
# The lockout lasts a fixed time from the failure that caused it; trying again meanwhile does not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "nfmaturity.accounts.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "nfmaturity.accounts.throttle.client_address"
# How many reverse proxies stand in front of the platform (each appends to X-Forwarded-For); 0 = none.
NFM_PROXY_COUNT = env_int("NFM_PROXY_COUNT", 0)
# axes' log of every successful login is not used here and would only grow.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
# Before Django's own catalogue: a few of its form messages reworded (see the .po file there).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Without collectstatic (embedded runs, tests) whitenoise serves straight from the app static dirs.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploaded evidence lives under the data directory, outside any web root, and is only ever served
# through a view that checks access (there is deliberately no MEDIA_URL route).
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media-not-served/"
NFM_UPLOAD_MAX_BYTES = env_int("NFM_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The catalog version new assessments pin; empty means the loader's default (newest) version.
NFM_CATALOG_VERSION = env_str("NFM_CATALOG_VERSION", "")
NFM_INVITATION_DAYS = env_int("NFM_INVITATION_DAYS", 7)

EMAIL_BACKEND = env_str("NFM_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("NFM_LOG_LEVEL", "INFO")},
    # axes: lockouts (warnings) only, not a line per login.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

# ---- Background work (report files): django-q2 with its ORM broker, so the queue is a table of the platform's
# own database (SQLite by default, PostgreSQL in production) and survives a restart: a task taken by a worker
# that died (kill -9) is handed out again once ``retry`` seconds have passed (docs/dependencies.md says why
# django-q2). One worker process by default: on SQLite every write waits for the one write lock (WAL is on).
INSTALLED_APPS += ["django_q"]
NFM_TASK_TIMEOUT = env_int("NFM_TASK_TIMEOUT", 120)  # seconds a task may run before the worker is killed
# django-q2 wants retry > timeout, or a slow task would be handed out twice.
NFM_TASK_RETRY = env_int("NFM_TASK_RETRY", NFM_TASK_TIMEOUT + 60)
NFM_TASK_ATTEMPTS = 3
Q_CLUSTER = {
    "name": "nfm",
    "label": "后台任务",
    "orm": "default",
    "workers": env_int("NFM_TASK_WORKERS", 1),
    "timeout": NFM_TASK_TIMEOUT,
    "retry": NFM_TASK_RETRY,
    "max_attempts": NFM_TASK_ATTEMPTS,
    "poll": 0.5,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 500,
}
# Generated report files: under the data directory, outside any web root, served only through a view that
# checks access.
NFM_REPORTS_DIR = Path(env_str("NFM_REPORTS_DIR", str(DATA_DIR / "reports"))).resolve()
