from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "nfmaturity.backoffice"
    label = "backoffice"
    verbose_name = "后台管理"
