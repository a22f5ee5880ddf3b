"""Password rules worded in the platform's Chinese, and the one check every new password goes through.

Why our own wording: Django 5.2's MinimumLengthValidator looks up the msgid "… at least %d characters." while
its zh_Hans catalog still carries the older "%(min_length)d" msgid, so "too short" falls back to English; and
the similarity message names Django's field labels (名字, 电子邮件地址) instead of the words our forms use.
The subclasses keep Django's checks untouched and only change what the user reads.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth import password_validation as django_rules
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

# How our forms name the user attributes the similarity rule compares (first_name holds the full name).
ATTRIBUTE_LABELS = {"username": "用户名", "first_name": "姓名", "last_name": "姓名", "email": "邮箱"}


class MinimumLengthValidator(django_rules.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return "密码太短：至少需要 %(min_length)d 个字符。"

    def get_help_text(self) -> str:
        return f"至少 {self.min_length} 个字符"


class UserAttributeSimilarityValidator(django_rules.UserAttributeSimilarityValidator):
    def validate(self, password: str, user: User | None = None) -> None:
        # Ask Django's check one attribute at a time, so the message can name it the way our forms do.
        for attribute in self.user_attributes:
            single = django_rules.UserAttributeSimilarityValidator((attribute,), self.max_similarity)
            try:
                single.validate(password, user)
            except ValidationError:
                raise ValidationError(
                    self.get_error_message(),
                    code="password_too_similar",
                    params={"verbose_name": ATTRIBUTE_LABELS.get(attribute, attribute)},
                ) from None

    def get_error_message(self) -> str:
        return "密码与%(verbose_name)s太相似，容易被猜到。"

    def get_help_text(self) -> str:
        return "不能与用户名、姓名或邮箱相似"


class CommonPasswordValidator(django_rules.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return "这个密码太常见，容易被猜到。"

    def get_help_text(self) -> str:
        return "不能是常见密码"


class NumericPasswordValidator(django_rules.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return "密码不能全是数字。"

    def get_help_text(self) -> str:
        return "不能全是数字"


def password_rules_text() -> str:
    """The configured rules as one line, for the hint under a new-password field."""
    return "密码要求：" + "；".join(django_rules.password_validators_help_texts()) + "。"


def check_new_password(password: str, *, username: str, full_name: str = "", email: str = "") -> None:
    """Raise ValidationError unless ``password`` passes every rule, compared with the account it is for.

    Forms call this with the name and email being registered, so the similarity rule runs in the form
    (an error beside the field) and never first in the service that creates the user.
    """
    account = get_user_model()(username=username, first_name=full_name, email=email)
    django_rules.validate_password(password, account)
