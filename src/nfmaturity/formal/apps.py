from django.apps import AppConfig


class FormalConfig(AppConfig):
    name = "nfmaturity.formal"
    label = "formal"
    verbose_name = "正式评估"
