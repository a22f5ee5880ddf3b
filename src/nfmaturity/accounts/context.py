from django.http import HttpRequest

from nfmaturity.accounts.access import membership_of


def current_membership(request: HttpRequest) -> dict[str, object]:
    # An error page can render before AuthenticationMiddleware ran (a refused Host header is a 400 raised by
    # CommonMiddleware), so the request may have no user; the page then shows no user navigation.
    user = getattr(request, "user", None)
    return {"membership": membership_of(user) if user is not None else None}
