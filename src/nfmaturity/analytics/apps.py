from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "nfmaturity.analytics"
    label = "analytics"
    verbose_name = "行业分析"
