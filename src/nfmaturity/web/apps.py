from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "nfmaturity.web"
    label = "web"
    verbose_name = "平台"
