"""People's Choice rules: who opens and closes, votes while open, hidden counts, winners and ties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import voting as v
from bot.domain.challenge import Challenge, ChallengeDraft
from bot.domain.voting import Poll

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def challenge(peoples_choice: bool = True) -> Challenge:
    draft = ChallengeDraft("Tell us once", "How?", ("dana",), T0 - timedelta(days=40), T0 - timedelta(days=10),
                           peoples_choice=peoples_choice)  # fmt: skip
    made = Challenge.open_new(challenge_id="c1", draft=draft, actor_id="olga", is_organiser=True, now=T0)
    made.channel_key = "19:den@thread.tacv2"
    return made


def poll() -> Poll:
    return Poll.open(challenge=challenge(), finalist_ids=["f1", "f2", "f3"], actor_id="olga", is_organiser=True, now=T0)


def test_only_organisers_open_voting_and_only_when_the_challenge_runs_it():
    with pytest.raises(v.NotOrganiser):
        Poll.open(challenge=challenge(), finalist_ids=["f1"], actor_id="sam", is_organiser=False, now=T0)
    with pytest.raises(v.NotRunning):
        Poll.open(challenge=challenge(False), finalist_ids=["f1"], actor_id="olga", is_organiser=True, now=T0)
    with pytest.raises(v.NotRunning):
        Poll.open(challenge=challenge(), finalist_ids=[], actor_id="olga", is_organiser=True, now=T0)
    made = poll()
    assert made.is_open and made.channel_key == "19:den@thread.tacv2" and made.opened_by == "olga"
    with pytest.raises(v.VotingOpen):
        Poll.open(challenge=challenge(), finalist_ids=["f1"], actor_id="olga", is_organiser=True, now=T0,
                  current=made)  # fmt: skip


def test_votes_are_for_finalists_while_open_and_counts_stay_hidden_until_closed():
    made = poll()
    made.check_vote("f2")
    with pytest.raises(v.NotFinalist):
        made.check_vote("someone-else")
    assert made.standings() == [] and made.winners() == []
    with pytest.raises(v.NotOrganiser):
        made.close(actor_id="sam", is_organiser=False, counts={"f1": 1}, now=T0)
    assert made.is_open
    made.close(actor_id="olga", is_organiser=True, counts={"f1": 4, "f2": 9, "ghost": 50}, now=T0)
    assert made.counts == {"f1": 4, "f2": 9, "f3": 0} and made.total == 13
    assert made.standings() == [("f2", 9), ("f1", 4), ("f3", 0)] and made.winners() == ["f2"]
    with pytest.raises(v.VotingClosed):
        made.check_vote("f1")
    with pytest.raises(v.VotingClosed):
        made.close(actor_id="olga", is_organiser=True, counts={}, now=T0)
    with pytest.raises(v.VotingClosed):
        Poll.open(challenge=challenge(), finalist_ids=["f1"], actor_id="olga", is_organiser=True, now=T0,
                  current=made)  # fmt: skip


def test_a_tie_for_first_is_announced_as_joint_winners_and_no_votes_means_no_winner():
    tied = poll()
    tied.close(actor_id="olga", is_organiser=True, counts={"f1": 7, "f3": 7, "f2": 2}, now=T0)
    assert tied.winners() == ["f1", "f3"]
    empty = poll()
    empty.close(actor_id="olga", is_organiser=True, counts={}, now=T0)
    assert empty.winners() == [] and empty.total == 0


def test_the_refresh_list_keeps_the_first_60_voters():
    made = poll()
    assert made.needs_refresh_entry("29:a")
    assert made.remember_for_refresh("29:a") and not made.remember_for_refresh("29:a")
    assert not made.remember_for_refresh("") and not made.needs_refresh_entry("29:a")
    for n in range(70):
        made.remember_for_refresh(f"29:{n}")
    assert len(made.refresh_ids) == 60 and made.refresh_ids[0] == "29:a" and made.refresh_ids[-1] == "29:58"
    assert not made.needs_refresh_entry("29:69") and not made.remember_for_refresh("29:69")


def test_a_vote_result_says_whether_it_was_new_moved_or_unchanged():
    vote = v.Vote("c1", "sam", "f2", T0, T0)
    assert v.VoteResult(vote, "").is_new and v.VoteResult(vote, "f1").moved and v.VoteResult(vote, "f2").unchanged
    assert v.vote_key("c1", "sam") == "c1:sam"


def test_voting_opens_from_pitch_day_only():
    """A walk found Open People's Choice voting offered three weeks before pitch day."""
    with pytest.raises(v.BeforePitchDay):
        Poll.open(challenge=challenge(), finalist_ids=["f1"], actor_id="olga", is_organiser=True, now=T0,
                  pitch_day_reached=False)  # fmt: skip
    poll = Poll.open(challenge=challenge(), finalist_ids=["f1"], actor_id="olga", is_organiser=True, now=T0,
                     pitch_day_reached=True)  # fmt: skip
    assert poll.is_open
