from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "nfmaturity.accounts"
    label = "accounts"
    verbose_name = "账户与机构"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from nfmaturity.accounts.sessions import mark_refreshed

        user_logged_in.connect(mark_refreshed, dispatch_uid="nfm-session-refreshed")
