from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "nfmaturity.enterprises"
    label = "enterprises"
    verbose_name = "企业库"
