"""People's Choice: everyone in the tenant may vote once per challenge for one finalist.

An organiser opens voting (the card goes to the challenge's channel) and closes it. Until then a
voter may move their vote, which changes their one vote (never adds a second: the stores key a
vote by challenge and voter). Counts stay hidden until voting closes; at closing they are frozen
into the poll, so the result shown and announced is the one computed once, whatever arrives
after. A tie for the most votes is announced as a tie (joint winners), never broken arbitrarily.

Universal Actions can refresh a card automatically for at most 60 users (Teams' limit on
`refresh.userIds`); the poll keeps that list (the first 60 voters) and the card offers a
manual refresh to everyone else.

Pure rules: no Teams, no storage, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.challenge import Challenge

REFRESH_LIMIT = 60  # Teams: refresh.userIds holds at most 60 user MRIs


class VotingRefused(Exception):
    """The click changes nothing; the caller says why."""


class NotOrganiser(VotingRefused):
    """Only Den organisers open and close voting."""


class NotRunning(VotingRefused):
    """This challenge does not run People's Choice, or has no finalists yet."""


class VotingClosed(VotingRefused):
    """Voting has closed: votes no longer change."""


class BeforePitchDay(VotingRefused):
    """Voting opens on pitch day, once the finalists have pitched: not from an early card."""


class VotingOpen(VotingRefused):
    """Voting is already open (a second Open click)."""


class NotFinalist(VotingRefused):
    """The vote names someone who is not a finalist (an old or forged card)."""


@dataclass
class Poll:
    """A challenge's People's Choice vote. `version`: the store's concurrency token (0: new)."""

    challenge_id: str
    finalist_ids: list[str]
    opened_by: str
    opened_at: datetime
    channel_key: str = ""  # the channel the card went to
    card_id: str = ""  # the channel message (activity id) of the card, once posted
    refresh_ids: list[str] = field(default_factory=list)  # user MRIs the card refreshes for, <= 60
    closed_at: datetime | None = None
    closed_by: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # frozen at closing
    version: int | str = 0

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @classmethod
    def open(
        cls,
        *,
        challenge: Challenge,
        finalist_ids: Sequence[str],
        actor_id: str,
        is_organiser: bool,
        now: datetime,
        current: Poll | None = None,
        pitch_day_reached: bool = True,
    ) -> Poll:
        """`pitch_day_reached`: the caller compares the challenge's pitch day with the local date."""
        if not is_organiser:
            raise NotOrganiser(challenge.id)
        if current is not None:
            raise VotingOpen(challenge.id) if current.is_open else VotingClosed(challenge.id)
        if not challenge.peoples_choice or not finalist_ids:
            raise NotRunning(challenge.id)
        if not pitch_day_reached:
            raise BeforePitchDay(challenge.id)
        return cls(challenge.id, list(finalist_ids), actor_id, now, channel_key=challenge.channel_key)

    def check_vote(self, finalist_id: str) -> None:
        """May a vote for this finalist be recorded now?"""
        if not self.is_open:
            raise VotingClosed(self.challenge_id)
        if finalist_id not in self.finalist_ids:
            raise NotFinalist(finalist_id)

    def close(self, *, actor_id: str, is_organiser: bool, counts: Mapping[str, int], now: datetime) -> None:
        """Close voting, freezing the counts (votes for anyone not a finalist are ignored)."""
        if not is_organiser:
            raise NotOrganiser(self.challenge_id)
        if not self.is_open:
            raise VotingClosed(self.challenge_id)
        self.closed_at, self.closed_by = now, actor_id
        self.counts = {f: int(counts.get(f, 0)) for f in self.finalist_ids}

    def remember_for_refresh(self, user_mri: str) -> bool:
        """Add a voter to the card's automatic-refresh list; True if the list changed (so the
        channel card is worth updating). The list keeps the first 60 voters: once full it never
        changes again, so the channel card is updated at most 60 times, and everyone else uses
        the card's manual refresh button."""
        if not user_mri or user_mri in self.refresh_ids or len(self.refresh_ids) >= REFRESH_LIMIT:
            return False
        self.refresh_ids = [*self.refresh_ids, user_mri]
        return True

    def needs_refresh_entry(self, user_mri: str) -> bool:
        return bool(user_mri) and user_mri not in self.refresh_ids and len(self.refresh_ids) < REFRESH_LIMIT

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def winners(self) -> list[str]:
        """The finalist(s) with the most votes, once closed; several on a tie; none without votes."""
        if self.is_open or not self.counts:
            return []
        top = max(self.counts.values())
        return [f for f in self.finalist_ids if top > 0 and self.counts.get(f, 0) == top]

    def standings(self) -> list[tuple[str, int]]:
        """(finalist, votes), most votes first, ties in the card's order; only once closed."""
        if self.is_open:
            return []
        order = {f: n for n, f in enumerate(self.finalist_ids)}
        return sorted(((f, self.counts.get(f, 0)) for f in self.finalist_ids), key=lambda p: (-p[1], order[p[0]]))


@dataclass(frozen=True)
class Vote:
    """A person's one vote in a challenge, as stored."""

    challenge_id: str
    voter_id: str
    finalist_id: str
    cast_at: datetime
    changed_at: datetime
    moves: int = 0


@dataclass(frozen=True)
class VoteResult:
    """What casting did: `previous` is the finalist the vote was for before ('' if it is new)."""

    vote: Vote
    previous: str

    @property
    def is_new(self) -> bool:
        return not self.previous

    @property
    def moved(self) -> bool:
        return bool(self.previous) and self.previous != self.vote.finalist_id

    @property
    def unchanged(self) -> bool:
        return self.previous == self.vote.finalist_id


def vote_key(challenge_id: str, voter_id: str) -> str:
    """A vote's unique key in the stores: one per person per challenge."""
    return f"{challenge_id}:{voter_id}"


def frozen_counts_hold(poll: Poll, stored: Mapping[str, int]) -> bool:
    """Do the counts a closing poll froze equal the votes stored (for its finalists)? The stores
    check this in the write that closes voting: a vote cast since the count means count again."""
    return {f: n for f, n in stored.items() if f in poll.finalist_ids and n} == {
        f: n for f, n in poll.counts.items() if n
    }
