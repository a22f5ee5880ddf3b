"""Invitations and members: lowest role by default, copy button, revocation, removing a member, changing a
role, and the last admin of an organisation kept (also when two admins demote each other at once)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import Client

from nfmaturity.accounts import services
from nfmaturity.accounts.forms import InvitationForm
from nfmaturity.accounts.models import Invitation, InvitationState, Membership, OrganisationKind, Role
from nfmaturity.audit.models import AuditAction, AuditEvent

from .conftest import PASSWORD, World

LAST_ADMIN = "唯一的管理员"


def _membership(world: World, persona: str) -> Membership:
    return Membership.objects.select_related("organisation", "user").get(user=world.users[persona])


def _invite(client: Client, email: str = "wang@example.cn") -> tuple[str, Invitation]:
    """Invite a colleague through the page; the link's path (shown once) and the invitation."""
    response = client.post(
        "/accounts/members/", {"full_name": "王工", "email": email, "role": "enterprise_member"}
    )
    link = re.search(r'value="http://testserver(/accounts/invitation/[^"]+)"', response.content.decode())
    assert response.status_code == 200 and link is not None
    return link.group(1), Invitation.objects.get(email=email)


# --- invitations -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "lowest"),
    [
        (OrganisationKind.ENTERPRISE, Role.ENTERPRISE_MEMBER),
        (OrganisationKind.BODY, Role.EXPERT),
        (OrganisationKind.REGULATOR, Role.REGULATOR_VIEWER),
    ],
)
def test_an_invitation_offers_the_lowest_role_first(db: None, kind: OrganisationKind, lowest: Role) -> None:
    organisation = services.create_organisation(name="某机构", kind=kind)
    assert services.lowest_role(kind) == lowest
    assert InvitationForm(organisation=organisation)["role"].value() == lowest


def test_the_link_is_shown_once_with_a_copy_button_from_a_static_script(world: World) -> None:
    client = world.client("ent_admin")
    page = client.get("/accounts/members/").content.decode()
    assert '<option value="enterprise_member" selected>' in page
    response = client.post(
        "/accounts/members/", {"full_name": "王工", "email": "w@example.cn", "role": "enterprise_member"}
    )
    body = response.content.decode()
    assert 'data-copy-from="invitation-link"' in body and "复制链接" in body
    assert re.search(r'<script src="[^"]*accounts/members\.js"', body)
    assert "onclick" not in body


def test_a_revoked_link_no_longer_works(world: World) -> None:
    admin = world.client("ent_admin")
    path, invitation = _invite(admin)
    assert Client().get(path).status_code == 200

    response = admin.post(f"/accounts/invitations/{invitation.pk}/revoke/", follow=True)
    assert "该链接不再有效" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.REVOKED and invitation.revoked_by == world.users["ent_admin"]
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_REVOKED)
    assert event.actor == world.users["ent_admin"] and event.object_id == str(invitation.pk)

    page = Client().get(path)
    assert page.status_code == 404 and "该邀请已被管理员撤销" in page.content.decode()
    # Posting the form of a page opened before the revocation creates nobody.
    posted = Client().post(path, {"username": "wang", "password1": PASSWORD, "password2": PASSWORD})
    assert posted.status_code == 404 and not User.objects.filter(username="wang").exists()
    # Gone from the list; revoking again finds nothing to revoke.
    assert "w@example.cn" not in admin.get("/accounts/members/").content.decode()
    assert admin.post(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 404


def test_a_used_invitation_cannot_be_revoked_and_says_so_to_its_holder(world: World) -> None:
    path, invitation = _invite(world.client("ent_admin"))
    services.accept_invitation(invitation=invitation, username="wang", password=PASSWORD)
    with pytest.raises(ValidationError, match="已被接受"):
        services.revoke_invitation(actor=world.users["ent_admin"], invitation=invitation)
    assert "已被使用" in Client().get(path).content.decode()


def test_only_the_organisations_own_admin_revokes(world: World) -> None:
    _, invitation = _invite(world.client("ent_admin"))
    assert world.client("outsider").post(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 404
    assert (
        world.client("ent_member").post(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 403
    )
    with pytest.raises(PermissionDenied):
        services.revoke_invitation(actor=world.users["regulator"], invitation=invitation)
    assert Invitation.objects.get().state == InvitationState.PENDING
    services.revoke_invitation(actor=world.users["platform_admin"], invitation=invitation)
    assert Invitation.objects.get().state == InvitationState.REVOKED


# --- members -----------------------------------------------------------------------------------------


def test_an_admin_removes_a_member_who_can_no_longer_sign_in(world: World) -> None:
    member_client = world.client("ent_member")
    assert member_client.get("/accounts/password/").status_code == 200
    membership = _membership(world, "ent_member")

    admin = world.client("ent_admin")
    assert "移出并停用账户" in admin.get(f"/accounts/members/{membership.pk}/").content.decode()
    response = admin.post(f"/accounts/members/{membership.pk}/remove/", {"reason": "已调离"}, follow=True)
    assert "已将 ent_member 移出本机构" in response.content.decode()

    user = User.objects.get(username="ent_member")
    assert not user.is_active and not Membership.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_REMOVED)
    assert event.reason == "已调离" and event.old == {"username": "ent_member", "role": "enterprise_member"}
    assert event.actor == world.users["ent_admin"] and event.organisation_id == membership.organisation_id
    # The open session ends at its next request, and the password no longer signs in.
    assert member_client.get("/accounts/password/").status_code == 302
    login = Client().post("/accounts/login/", {"username": "ent_member", "password": PASSWORD})
    assert login.status_code == 200 and "用户名或密码不正确" in login.content.decode()


def test_an_admin_changes_a_role_with_a_reason(world: World) -> None:
    membership = _membership(world, "ent_member")
    response = world.client("ent_admin").post(
        f"/accounts/members/{membership.pk}/role/", {"role": "enterprise_admin", "reason": "接任信息化负责人"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.ENTERPRISE_ADMIN
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED)
    assert event.old == {"role": "enterprise_member"} and event.new == {"role": "enterprise_admin"}
    assert event.reason == "接任信息化负责人" and event.object_id == str(membership.user_id)
    # Now there are two admins, the first may step down.
    own = _membership(world, "ent_admin")
    services.change_role(actor=world.users["ent_admin"], membership=own, role=Role.ENTERPRISE_MEMBER)


def test_a_role_of_another_kind_of_organisation_is_refused(world: World) -> None:
    membership = _membership(world, "ent_member")
    with pytest.raises(ValidationError, match="不适用于企业"):
        services.change_role(actor=world.users["ent_admin"], membership=membership, role=Role.EXPERT)
    response = world.client("ent_admin").post(f"/accounts/members/{membership.pk}/role/", {"role": "expert"})
    assert response.status_code == 422


def test_the_last_admin_can_be_neither_demoted_nor_removed(world: World) -> None:
    own = _membership(world, "ent_admin")
    client = world.client("ent_admin")
    demote = client.post(f"/accounts/members/{own.pk}/role/", {"role": "enterprise_member"})
    assert demote.status_code == 422 and LAST_ADMIN in demote.content.decode()
    remove = client.post(f"/accounts/members/{own.pk}/remove/", {"reason": ""})
    assert remove.status_code == 422 and LAST_ADMIN in remove.content.decode()
    # Not even the platform admin may leave the organisation without one.
    with pytest.raises(ValidationError, match=LAST_ADMIN):
        services.remove_member(actor=world.users["platform_admin"], membership=own)
    own.refresh_from_db()
    assert own.role == Role.ENTERPRISE_ADMIN and User.objects.get(username="ent_admin").is_active
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.ROLE_CHANGED, AuditAction.MEMBER_REMOVED]
    ).exists()


def test_an_admin_who_removes_themself_is_signed_out(world: World) -> None:
    services.change_role(
        actor=world.users["ent_admin"],
        membership=_membership(world, "ent_member"),
        role=Role.ENTERPRISE_ADMIN,
    )
    client = world.client("ent_admin")
    response = client.post(
        f"/accounts/members/{_membership(world, 'ent_admin').pk}/remove/", {"reason": "离职"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/accounts/password/").status_code == 302


def test_who_may_manage_members(world: World) -> None:
    membership = _membership(world, "ent_member")
    for persona, status in [("anonymous", 302), ("ent_member", 403), ("outsider", 404), ("regulator", 403)]:
        client = world.client(persona)
        assert client.get(f"/accounts/members/{membership.pk}/").status_code == status, persona
        assert client.post(f"/accounts/members/{membership.pk}/remove/").status_code == status, persona
        assert (
            client.post(f"/accounts/members/{membership.pk}/role/", {"role": "enterprise_admin"}).status_code
            == status
        )
    # The services refuse everyone but the organisation's own admins and the platform admin: a regulator
    # or another organisation's admin calling them directly (e.g. from the back office) changes nothing.
    for persona in ("regulator", "outsider", "body_admin", "ent_member"):
        with pytest.raises(PermissionDenied):
            services.remove_member(actor=world.users[persona], membership=membership)
        with pytest.raises(PermissionDenied):
            services.change_role(
                actor=world.users[persona], membership=membership, role=Role.ENTERPRISE_ADMIN
            )
    assert Membership.objects.get(pk=membership.pk).role == Role.ENTERPRISE_MEMBER
    services.change_role(
        actor=world.users["platform_admin"], membership=membership, role=Role.ENTERPRISE_ADMIN
    )
    assert Membership.objects.get(pk=membership.pk).role == Role.ENTERPRISE_ADMIN


# --- two admins at once (PostgreSQL: real row locks between two connections) ----------------------------

HOLD = 0.4  # seconds the first demotion keeps its transaction open after counting the admins


def _in_threads(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # handed back to the test
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="行锁竞争只在 PostgreSQL 上有意义：SQLite 的写事务整库串行，内存数据库也不能跨线程共享",
)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.change_role(
        actor=world.users["ent_admin"],
        membership=_membership(world, "ent_member"),
        role=Role.ENTERPRISE_ADMIN,
    )
    a, b = _membership(world, "ent_admin"), _membership(world, "ent_member")
    real_check = services._refuse_losing_last_admin

    def slow_check(*args: Any) -> None:
        # Both have counted the admins before either writes, unless the first holds a lock the second waits on.
        real_check(*args)
        time.sleep(HOLD)

    monkeypatch.setattr(services, "_refuse_losing_last_admin", slow_check)
    outcomes = _in_threads(
        lambda: services.change_role(actor=a.user, membership=b, role=Role.ENTERPRISE_MEMBER),
        lambda: services.change_role(actor=b.user, membership=a, role=Role.ENTERPRISE_MEMBER),
    )
    refused = [o for o in outcomes if isinstance(o, ValidationError | PermissionDenied)]
    assert len(refused) == 1, outcomes
    admins = Membership.objects.filter(organisation=a.organisation, role=Role.ENTERPRISE_ADMIN)
    assert admins.count() == 1
    assert (
        AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).count() == 2
    )  # the set-up and one demotion
