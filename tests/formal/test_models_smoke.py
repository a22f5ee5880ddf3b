"""The formal models and factory fit together, and the access helper tells the parties apart."""

from __future__ import annotations

import pytest
from django.http import Http404

from nfmaturity.formal.access import Party, get_formal_for_user, visible_formal
from nfmaturity.formal.models import FormalState, SubdomainAssignment
from tests.web.conftest import World

from .factory import make_formal, seat_team


@pytest.mark.django_db
def test_each_party_sees_the_formal_assessment_as_its_role_says(world: World, body, experts) -> None:  # type: ignore[no-untyped-def]
    formal = make_formal(world.enterprise, body, world.users["ent_admin"])
    members = seat_team(formal, experts[:7])
    assert SubdomainAssignment.objects.filter(formal=formal).count() == len(
        {a.row_id for a in SubdomainAssignment.objects.filter(formal=formal)}
    )
    leader = members[0].expert.user
    assert get_formal_for_user(leader, formal.pk)[1] == {Party.LEADER, Party.EXPERT}
    assert get_formal_for_user(members[1].expert.user, formal.pk)[1] == {Party.EXPERT}
    assert get_formal_for_user(world.users["ent_admin"], formal.pk)[1] == {Party.ENTERPRISE_ADMIN}
    assert get_formal_for_user(world.users["body_admin"], formal.pk)[1] == {Party.BODY_ADMIN}
    for outsider in ("outsider", "expert", "regulator"):
        with pytest.raises(Http404):
            get_formal_for_user(world.users[outsider], formal.pk)
    assert not visible_formal(experts[8].user).exists()  # of the body, not on the team
    formal.state = FormalState.PUBLISHED
    formal.save()
    assert get_formal_for_user(world.users["regulator"], formal.pk)[1] == {Party.OVERSEER}
    with pytest.raises(Http404):
        get_formal_for_user(world.users["hunan_regulator"], formal.pk)
