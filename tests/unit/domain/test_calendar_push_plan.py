"""The push plan: applied to what Google holds, it yields exactly what the calendar should hold."""

from hypothesis import given
from hypothesis import strategies as st

from contest_pipelines.domain.calendar_push import Pushed, plan

keys = st.tuples(st.sampled_from(["codeforces", "leetcode", "atcoder"]), st.sampled_from(list("abcdef")))
fingerprints = st.sampled_from(["f1", "f2", "f3"])
pushed_states = st.dictionaries(keys, st.builds(Pushed, st.just("id"), fingerprints, st.booleans()), max_size=12)


@given(desired=st.dictionaries(keys, fingerprints, max_size=12), pushed=pushed_states)
def test_applying_the_plan_makes_google_hold_exactly_the_desired_calendar(desired, pushed):
    result = plan(desired, pushed)
    after = dict(pushed)
    for key in result.inserts + result.updates:
        after[key] = Pushed("id", desired[key])
    for key in result.deletes:
        after[key] = Pushed("id", pushed[key].fingerprint, deleted=True)
    assert {k: p.fingerprint for k, p in after.items() if not p.deleted} == desired
    assert result.writes + result.unchanged >= len(desired)
    assert not set(result.inserts) & set(result.updates) and not set(result.deletes) & set(desired)


@given(desired=st.dictionaries(keys, fingerprints, max_size=12))
def test_a_second_plan_after_applying_the_first_writes_nothing(desired):
    applied = {k: Pushed("id", f) for k, f in desired.items()}
    assert plan(desired, applied).writes == 0


def test_a_deleted_event_that_is_wanted_again_is_inserted_and_a_dropped_one_deleted():
    result = plan({("cf", "1"): "f"}, {("cf", "1"): Pushed("id", "f", deleted=True), ("cf", "2"): Pushed("id2", "f")})
    assert result.inserts == [("cf", "1")] and result.deletes == [("cf", "2")] and result.updates == []
