"""Public pages, no login (like the landing page): verify a published result by its number and check code,
and the list of published results whose enterprise opted in. They show only what ``public.PublicRecord``
holds."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from nfmaturity.accounts.throttle import client_address
from nfmaturity.formal import public
from nfmaturity.formal.forms_results import VerifyForm


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The form posts, so numbers and codes typed in stay out of server logs and browser history. The QR code
    on a report carries both in its link (``?number=…&code=…``): such a GET is checked at once, under the same
    throttle, so scanning a certificate shows its record."""
    if request.method == "POST":
        form = VerifyForm(request.POST)
    elif request.GET.get("number") and request.GET.get("code"):
        form = VerifyForm({"result_number": request.GET["number"], "check_code": request.GET["code"]})
    else:
        return render(request, "formal/public_verify.html", {"form": VerifyForm()})
    address = client_address(request)
    if public.is_throttled(address):
        return render(
            request, "formal/public_verify.html", {"form": form, "error": public.THROTTLED}, status=429
        )
    record = None
    if form.is_valid():
        record = public.verify(form.cleaned_data["result_number"], form.cleaned_data["check_code"])
    if record is None:
        public.count_failure(address)
        return render(
            request, "formal/public_verify.html", {"form": form, "error": public.NOT_FOUND}, status=404
        )
    return render(request, "formal/public_verify.html", {"form": VerifyForm(), "record": record})


@require_safe
def published(request: HttpRequest) -> HttpResponse:
    return render(request, "formal/public_list.html", {"records": public.public_list()})
