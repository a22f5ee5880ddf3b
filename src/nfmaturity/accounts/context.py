from django.http import HttpRequest

from nfmaturity.accounts.access import membership_of


def current_membership(request: HttpRequest) -> dict[str, object]:
    return {"membership": membership_of(request.user)}
