"""The roster diff and onboarding eligibility, pure."""

from hypothesis import given
from hypothesis import strategies as st

from contest_pipelines.domain.roster import LocalTeam, onboarding_refusal, roster_plan

team_ids = st.sampled_from(["t1", "t2", "t3", "t4"])
users = st.sampled_from(["u1", "u2", "u3"])
pairs = st.lists(st.tuples(team_ids, users), unique=True)
teams = st.lists(
    st.builds(LocalTeam, team_ids, st.none() | st.just("remote-id"), st.booleans()), unique_by=lambda t: t.team_id
)


def test_a_plan_creates_deletes_and_assigns_only_what_differs():
    plan = roster_plan(
        [LocalTeam("new", None, False), LocalTeam("known", "7", False), LocalTeam("gone", "8", True),
         LocalTeam("lost-answer", None, False)],
        [("new", "u1"), ("known", "u2"), ("known", "u3"), ("gone", "u4")],
        [("known", "u2"), ("lost-answer", "u9")],
    )  # fmt: skip
    assert plan.create == ["new"]  # "lost-answer" is on the platform already: its create succeeded
    assert plan.delete == ["gone"]
    assert plan.assign == [("new", "u1"), ("known", "u3")]
    assert plan.present == [("known", "u2")]  # a deleted team's memberships are left alone


@given(teams, pairs, pairs)
def test_plan_invariants(local, memberships, remote):
    plan = roster_plan(local, memberships, remote)
    live = {t.team_id for t in local if not t.deleted}
    assert set(plan.delete) == {t.team_id for t in local if t.deleted}
    assert set(plan.create) <= live and not set(plan.create) & {team for team, _ in remote}
    assert set(plan.assign) | set(plan.present) == {p for p in memberships if p[0] in live}
    assert not set(plan.assign) & set(remote) and set(plan.present) <= set(remote)
    # Applying the plan leaves nothing to do.
    after = roster_plan(
        [LocalTeam(t.team_id, t.game_platform_id or "created", False) for t in local if not t.deleted],
        memberships,
        [*remote, *plan.assign],
    )
    assert not after.create and not after.delete and not after.assign


def test_onboarding_eligibility():
    assert onboarding_refusal(None, "compliance", "a@example.org") is None
    assert "already on the game platform as 42" == onboarding_refusal("42", "compliance", "a@example.org")
    assert "only competitors in 'compliance'" in onboarding_refusal(None, "profile", "a@example.org")
    assert onboarding_refusal(None, "compliance", None) == "the competitor has no email address"
