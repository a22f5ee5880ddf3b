from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "nfmaturity.plans"
    label = "plans"
    verbose_name = "改进计划"
