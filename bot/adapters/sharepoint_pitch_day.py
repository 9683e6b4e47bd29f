"""Pitch day's SharePoint lists: panels, scorecards, People's Choice polls and votes
(provisioned by `python -m bot.admin.provision` like the others; see sharepoint_schema).

How the guarantees hold on SharePoint:
- a panel, scorecard or poll is written with `If-Match` (412: ConcurrencyConflict), first in a
  sequential JSON `$batch` with its notifications after it, so they are written only if it is; a
  new one's unique key (the challenge, or challenge:finalist:judge) refuses a second;
- one vote per person per challenge: the vote's `VoteKey` (`<challenge>:<voter>`) is a unique,
  indexed column, so SharePoint itself refuses a second row (409) whatever the number of app
  instances; casting reads the row and creates it (refused: someone was faster, read again) or
  moves it with a PATCH on its eTag (412: read again). A move is one PATCH of one row.
A record's version is `<list item id>|<eTag>`, as an idea's is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from msgraph.generated.models.list_item import ListItem

from bot.adapters.graph_batch import BATCH_LIMIT
from bot.adapters.graph_client import odata_string
from bot.adapters.pitch_day_serialization import (
    panel_from_dict,
    panel_to_dict,
    poll_from_dict,
    poll_to_dict,
    scorecard_from_dict,
    scorecard_to_dict,
)
from bot.adapters.sharepoint_store import _body_etag, _dt, _etag, _fields, _iso, _token
from bot.domain.panel import Panel, Scorecard
from bot.domain.voting import Poll, Vote, VoteResult, vote_key
from bot.ports import ConcurrencyConflict, OutboxMessage, StoreBusy, StoreUnavailable
from bot.ports.retry import conflict_retry

VOTE_FIELDS = ("VoteKey", "ChallengeId", "VoterId", "FinalistId", "CastAt", "ChangedAt", "Moves")
CAST_ATTEMPTS = 8


class SharePointPitchDayLists:
    """Panels and Votes over SharePoint lists (mixed into the SharePoint store)."""

    # Provided by SharePointStore.
    _api: Any
    _batches: Any
    _deadline: Any
    _outbox_rows: Any
    _row_requests: Any
    _settle_rows: Any
    click_budget: float

    async def _save_record(
        self, key: str, unique: str, values: dict[str, Any], version: int | str, outbox: Sequence[OutboxMessage]
    ) -> str:
        """Create (no version) or conditionally update one record, then its notifications, in one
        sequential $batch (nothing after the record is written if it is refused). A create whose
        answer failed is settled by reading its unique key back (ours, by its WriteToken, or a
        duplicate). Returns the record's new version."""
        api = self._api(key)
        item_id, _, etag = str(version or "").partition("|")
        token = "" if item_id else _token()
        if item_id:
            first = api.patch_request("record", item_id, values, etag or "*")
        else:
            first = api.create_request("record", {**values, "WriteToken": token})
        rows = self._outbox_rows(outbox)
        requests = [first, *self._row_requests(rows[: BATCH_LIMIT - 1], lease=True)]
        outcome = await self._batches.run(requests, sequential=True, deadline=self._deadline(self.click_budget))
        if any(r.id == "record" for r in outcome.leftover):
            raise StoreBusy(f"the {key} write was throttled past the time budget", outcome.retry_after)
        status = outcome.status.get("record", 0)
        if outcome.ok("record"):
            body = outcome.body["record"]
            new_version = f"{body.get('id') or item_id}|{_body_etag(body)}"
        elif item_id:
            if status in (409, 412):
                raise ConcurrencyConflict(f"{key}:{status}")
            raise StoreUnavailable(f"Graph answered {status} to a {key} write")
        else:
            existing = await api.first(unique, str(values[unique]), [unique, "WriteToken"])
            if existing is None:
                raise StoreUnavailable(f"Graph answered {status} to a new {key}")
            if _fields(existing).get("WriteToken") != token:
                raise ConcurrencyConflict(f"{key}: {values[unique]} exists")
            new_version = f"{existing.id}|{_etag(existing)}"  # written after all: its answer was lost
        await self._settle_rows(rows, outcome)
        return new_version

    # ---- the panel ------------------------------------------------------------------------
    async def save_panel(self, panel: Panel, outbox: Sequence[OutboxMessage] = ()) -> None:
        values = {"ChallengeId": panel.challenge_id, "ChairId": panel.chair_id,
                  "Body": json.dumps(panel_to_dict(panel), ensure_ascii=False)}  # fmt: skip
        panel.version = await self._save_record("panels", "ChallengeId", values, panel.version, outbox)

    async def get_panel(self, challenge_id: str) -> Panel | None:
        item = await self._api("panels").first("ChallengeId", challenge_id, ("ChallengeId", "Body"))
        return panel_from_dict(json.loads(_fields(item)["Body"]), version=_version(item)) if item else None

    async def save_scorecard(self, card: Scorecard, outbox: Sequence[OutboxMessage] = ()) -> None:
        values = {
            "ScoreKey": card.key,
            "ChallengeId": card.challenge_id,
            "FinalistId": card.finalist_id,
            "JudgeId": card.judge_id,
            "Conflict": card.conflict.value,
            "Body": json.dumps(scorecard_to_dict(card), ensure_ascii=False),
        }
        card.version = await self._save_record("scorecards", "ScoreKey", values, card.version, outbox)

    async def get_scorecard(self, challenge_id: str, finalist_id: str, judge_id: str) -> Scorecard | None:
        key = Scorecard(challenge_id, finalist_id, judge_id).key
        item = await self._api("scorecards").first("ScoreKey", key, ("ScoreKey", "Body"))
        return scorecard_from_dict(json.loads(_fields(item)["Body"]), version=_version(item)) if item else None

    async def list_scorecards(self, challenge_id: str) -> list[Scorecard]:
        items = await self._api("scorecards").query(f"fields/ChallengeId eq {odata_string(challenge_id)}", ("Body",))
        cards = [scorecard_from_dict(json.loads(_fields(i)["Body"]), version=_version(i)) for i in items]
        return sorted(cards, key=lambda c: (c.finalist_id, c.judge_id))

    # ---- People's Choice ----------------------------------------------------------------
    async def save_poll(self, poll: Poll, outbox: Sequence[OutboxMessage] = ()) -> None:
        values = {"ChallengeId": poll.challenge_id, "VotingOpen": poll.is_open,
                  "Body": json.dumps(poll_to_dict(poll), ensure_ascii=False)}  # fmt: skip
        poll.version = await self._save_record("polls", "ChallengeId", values, poll.version, outbox)

    async def get_poll(self, challenge_id: str) -> Poll | None:
        item = await self._api("polls").first("ChallengeId", challenge_id, ("ChallengeId", "Body"))
        return poll_from_dict(json.loads(_fields(item)["Body"]), version=_version(item)) if item else None

    async def cast_vote(self, challenge_id: str, voter_id: str, finalist_id: str, now: datetime) -> VoteResult:
        api, key = self._api("votes"), vote_key(challenge_id, voter_id)
        async for attempt in conflict_retry(attempts=CAST_ATTEMPTS):
            with attempt:
                item = await api.first("VoteKey", key, VOTE_FIELDS)
                if item is None:
                    token = _token()
                    values = {"VoteKey": key, "ChallengeId": challenge_id, "VoterId": voter_id,
                              "FinalistId": finalist_id, "CastAt": _iso(now), "ChangedAt": _iso(now),
                              "Moves": 0, "WriteToken": token}  # fmt: skip
                    _, made = await api.create_or_read(values, "VoteKey", token)
                    if not made:  # a concurrent click (this voter's, on any instance) created it: read again
                        raise ConcurrencyConflict(key)
                    return VoteResult(Vote(challenge_id, voter_id, finalist_id, now, now, 0), "")
                stored = _vote_from(item)
                if stored.finalist_id == finalist_id:
                    return VoteResult(stored, finalist_id)
                moved = {"FinalistId": finalist_id, "ChangedAt": _iso(now), "Moves": stored.moves + 1}
                await api.patch(str(item.id), moved, _etag(item))  # 412: changed meanwhile; read again
                return VoteResult(
                    Vote(challenge_id, voter_id, finalist_id, stored.cast_at, now, stored.moves + 1), stored.finalist_id
                )
        raise ConcurrencyConflict(key)  # pragma: no cover - conflict_retry re-raises the last conflict

    async def get_vote(self, challenge_id: str, voter_id: str) -> Vote | None:
        item = await self._api("votes").first("VoteKey", vote_key(challenge_id, voter_id), VOTE_FIELDS)
        return _vote_from(item) if item else None

    async def count_votes(self, challenge_id: str) -> dict[str, int]:
        items = await self._api("votes").query(f"fields/ChallengeId eq {odata_string(challenge_id)}", ("FinalistId",))
        counts: dict[str, int] = {}
        for item in items:
            finalist = str(_fields(item).get("FinalistId") or "")
            counts[finalist] = counts.get(finalist, 0) + 1
        return counts


def _version(item: ListItem) -> str:
    return f"{item.id}|{_etag(item)}"


def _vote_from(item: ListItem) -> Vote:
    f = _fields(item)
    cast = _dt(f.get("CastAt")) or datetime.min
    return Vote(str(f.get("ChallengeId") or ""), str(f.get("VoterId") or ""), str(f.get("FinalistId") or ""),
                cast, _dt(f.get("ChangedAt")) or cast, int(f.get("Moves") or 0))  # fmt: skip
