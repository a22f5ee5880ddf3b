"""Registry pages that need no assessment data: registration, profile edit, units, contacts, and the
verification queue.

The list (with latest grades) and the profile page (with assessments) are in ``nfmaturity.web.views``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from nfmaturity.accounts.requests import AuthenticatedRequest
from nfmaturity.accounts.throttle import client_address
from nfmaturity.enterprises import checks, review, services
from nfmaturity.enterprises.access import get_enterprise_for_user, own_enterprise
from nfmaturity.enterprises.forms import (
    ClaimDecisionForm,
    ContactForm,
    DecisionForm,
    EnterpriseForm,
    IdentityForm,
    RegistrationForm,
    UnitForm,
    newer_values,
)
from nfmaturity.enterprises.models import Enterprise, VerificationState
from nfmaturity.enterprises.registration import new_login_name
from nfmaturity.enterprises.selectors import last_profile_change


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.register_enterprise(
                profile=form.profile(),
                admin_username=new_login_name(data["login_stem"]),
                admin_password=data["password1"],
                admin_name=data["admin_name"],
                admin_email=data["admin_email"],
                claim_statement=form.claim_statement,
                client_address=client_address(request) or "unknown",
            )
        except services.RegistrationThrottled as exc:
            return render(
                request, "enterprises/register.html", {"form": form, "throttled": exc.message}, status=429
            )
        except ValidationError as exc:  # e.g. the code registered by someone else a moment ago
            form.add_error(None, exc)
        else:
            login(request, registration.admin, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("enterprises:registered")
    return render(request, "enterprises/register.html", {"form": form})


@login_required
def registered(request: AuthenticatedRequest) -> HttpResponse:
    """After registering: the login name (chosen in part by the platform) and what happens next."""
    enterprise = own_enterprise(request.user)
    if enterprise is None:
        raise Http404
    return render(request, "enterprises/registered.html", {"enterprise": enterprise})


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk, write=True)
    form = EnterpriseForm(
        request.POST or None, instance=enterprise, claim_open=services.has_pending_claim(enterprise)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_enterprise(
                enterprise=enterprise,
                actor=request.user,
                profile=form.profile(),
                shown=form.cleaned_data["shown"],
            )
        except services.StaleProfile as exc:
            # What the user typed stays in the form, the others' changes are filled in, and the form is now
            # based on the newer profile: saving again keeps the user's values where both changed a field.
            data = request.POST.copy()
            for key, value in exc.merged.items():
                if isinstance(value, list):
                    data.setlist(key, [str(v) for v in value])
                elif isinstance(value, bool):
                    data.setlist(key, ["on"] if value else [])
                else:
                    data[key] = "" if value is None else str(value)
            data["shown"] = services.shown_profile(exc.current)
            form = EnterpriseForm(
                data, instance=exc.current, claim_open=services.has_pending_claim(exc.current)
            )
            form.is_valid()
            context = {
                "enterprise": exc.current,
                "form": form,
                "newer": newer_values(form, exc.conflicts),
                "changed_by": last_profile_change(exc.current),
            }
            return render(request, "enterprises/edit.html", context, status=409)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "企业信息已保存。")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/edit.html", {"enterprise": enterprise, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def unit_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk, write=True)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if enterprise.units.filter(name=form.cleaned_data["name"]).exists():
            form.add_error("name", "已有同名评估单元")
        else:
            services.add_unit(enterprise=enterprise, actor=request.user, **form.cleaned_data)
            messages.success(request, "评估单元已添加。")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/child_form.html",
        {"enterprise": enterprise, "form": form, "title": "添加评估单元"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk, write=True)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_contact(enterprise=enterprise, actor=request.user, **form.cleaned_data)
        messages.success(request, "联系人已添加。")
        return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/child_form.html",
        {"enterprise": enterprise, "form": form, "title": "添加联系人"},
    )


# --- Verification: regulators of the jurisdiction and the platform admin ------------------------------


@login_required
def verification_queue(request: AuthenticatedRequest) -> HttpResponse:
    if not review.is_reviewer(request.user):
        raise PermissionDenied
    state = request.GET.get("state", VerificationState.PENDING)
    if state not in VerificationState.values:
        state = VerificationState.PENDING
    page = Paginator(review.queue(request.user, VerificationState(state)), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "enterprises/verification_queue.html",
        {
            "page": page,
            "reviews": checks.reviews(list(page.object_list)),
            "state": state,
            "states": VerificationState.choices,
            "claims": [
                (c, review.claim_page(request.user, c)) for c in review.claims_for_review(request.user)
            ],
        },
    )


def _verify_page(
    request: AuthenticatedRequest,
    enterprise: Enterprise,
    *,
    decision: DecisionForm | None = None,
    identity: IdentityForm | None = None,
    claim_forms: dict[int, ClaimDecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    (found,) = checks.reviews([enterprise])
    claim_forms = claim_forms or {}
    claims = [
        (claim, holder, review.can_decide_claim(request.user, claim, holder), claim_forms.get(claim.pk))
        for claim in [*found.claims_made, *found.claims_against]
        for holder in [review.current_holder(claim)]
    ]
    return render(
        request,
        "enterprises/verify.html",
        {
            "review": found,
            "enterprise": enterprise,
            "decision": decision or DecisionForm(),
            "identity": identity or IdentityForm(initial={"name": enterprise.name, "uscc": enterprise.uscc}),
            "claims": [(c, h, may, form or ClaimDecisionForm()) for c, h, may, form in claims],
            "contacts": enterprise.contacts.all(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = review.get_enterprise_for_review(request.user, pk)
    if request.method == "GET":
        return _verify_page(request, enterprise)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "verify":
                services.verify_enterprise(
                    actor=request.user, enterprise=enterprise, note=form.cleaned_data["note"]
                )
                messages.success(request, f"已核验通过：{enterprise.name}")
            else:
                services.reject_enterprise(
                    actor=request.user, enterprise=enterprise, reason=form.cleaned_data["note"]
                )
                messages.success(request, f"已记录核验不通过：{enterprise.name}")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("enterprises:verification")
    return _verify_page(request, enterprise, decision=form, status=422)


@login_required
@require_POST
def verify_identity(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enterprise = review.get_enterprise_for_review(request.user, pk)
    form = IdentityForm(request.POST)
    if form.is_valid():
        try:
            services.correct_identity(actor=request.user, enterprise=enterprise, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "企业名称和代码已更正。")
            return redirect("enterprises:verify", pk=enterprise.pk)
    return _verify_page(request, enterprise, identity=form, status=422)


@login_required
@require_POST
def decide_claim(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    claim = review.get_claim_for_review(request.user, pk)
    page = review.claim_page(request.user, claim)  # where the user came from, and returns to
    form = ClaimDecisionForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if form.cleaned_data["decision"] == "grant":
                services.grant_claim(actor=request.user, claim=claim, reason=reason)
                messages.success(request, f"代码 {claim.uscc} 已改配给 {claim.claimant.name}。")
            else:
                services.refuse_claim(actor=request.user, claim=claim, reason=reason)
                messages.success(request, f"已驳回 {claim.claimant.name} 对代码 {claim.uscc} 的认领。")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("enterprises:verify", pk=page.pk)
    return _verify_page(request, page, claim_forms={claim.pk: form}, status=422)
