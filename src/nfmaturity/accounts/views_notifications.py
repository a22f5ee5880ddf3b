"""The user's in-app notifications: the list (newest first, unread marked) and marking them read; the
navigation asks for the unread count as a small fragment (htmx), so no other page pays a query for it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from nfmaturity.accounts.fragment_pages import varies, wants_fragment
from nfmaturity.accounts.models import Notification
from nfmaturity.accounts.notifications import mark_read

PAGE_SIZE = 30


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST":
        raw = request.POST.getlist("pk")
        pks = [int(p) for p in raw if p.isdigit()] if raw else None
        count = mark_read(user, pks)
        if count and not request.headers.get("HX-Request"):
            messages.success(request, f"已将 {count} 条通知标为已读")
        return redirect("accounts:notifications")
    rows = Notification.objects.filter(user=user)
    if request.GET.get("part") == "badge" and wants_fragment(request):
        unread = rows.filter(read_at__isnull=True).count()
        if not unread:
            return varies(HttpResponse(""))
        return varies(
            HttpResponse(
                format_html('<span class="badge bg-red text-white ms-1" id="unread-count">{}</span>', unread)
            )
        )
    # The badge's address opened on its own (a new tab, a bookmark) gets the list it stands for.
    page = Paginator(rows.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    unread_count = rows.filter(read_at__isnull=True).count()
    return varies(
        render(request, "accounts/notifications.html", {"page": page, "unread_count": unread_count})
    )
