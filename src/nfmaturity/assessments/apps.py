from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "nfmaturity.assessments"
    label = "assessments"
    verbose_name = "评估"
