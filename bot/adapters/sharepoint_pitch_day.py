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

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from msgraph.generated.models.list_item import ListItem

from bot.adapters.graph_batch import BATCH_LIMIT, Request
from bot.adapters.graph_client import odata_string
from bot.adapters.pitch_day_serialization import (
    panel_from_dict,
    panel_to_dict,
    poll_from_dict,
    poll_to_dict,
    scorecard_from_dict,
    scorecard_to_dict,
)
from bot.adapters.sharepoint_slices import whole
from bot.adapters.sharepoint_store import _body_etag, _dt, _etag, _fields, _iso, _token
from bot.domain.panel import Panel, Scorecard, ScoringClosed
from bot.domain.voting import Poll, Vote, VoteResult, VotingClosed, frozen_counts_hold, vote_key
from bot.ports import ConcurrencyConflict, OutboxMessage, StoreBusy, StoreUnavailable
from bot.ports.retry import conflict_retry

BY_VOTER = whole("VoterId", "id")  # a challenge's votes past the list view threshold: by voter id ranges

VOTING, SCORING = "voting", "scoring"
GATE_SETTLE_SECONDS = 0.5  # after closing a gate, how long the writes already past it may take to land
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
        self,
        key: str,
        unique: str,
        values: dict[str, Any],
        version: int | str,
        outbox: Sequence[OutboxMessage],
        *,
        gate: Request | None = None,
        closed: Exception | None = None,
        opens: str = "",
    ) -> str:
        """Create (no version) or conditionally update one record, then its notifications, in one
        sequential $batch (nothing after the record is written if it is refused). A create whose
        answer failed is settled by reading its unique key back (ours, by its WriteToken, or a
        duplicate). `opens` names a gate item made last in the same batch (when it fits; else
        `_gate` makes it on first use). Returns the record's new version."""
        api = self._api(key)
        item_id, _, etag = str(version or "").partition("|")
        token = "" if item_id else _token()
        if item_id:
            first = api.patch_request("record", item_id, values, etag or "*")
        else:
            first = api.create_request("record", {**values, "WriteToken": token})
        rows = self._outbox_rows(outbox)
        ahead = [gate] if gate is not None else []
        room = BATCH_LIMIT - 1 - len(ahead)
        after = [self._gate_request(opens)] if opens and len(rows) < room else []
        requests = [*ahead, first, *self._row_requests(rows[: room - len(after)], lease=True), *after]
        outcome = await self._batches.run(requests, sequential=True, deadline=self._deadline(self.click_budget))
        if any(r.id in ("gate", "record") for r in outcome.leftover):
            raise StoreBusy(f"the {key} write was throttled past the time budget", outcome.retry_after)
        if gate is not None and not outcome.ok("gate"):
            if outcome.status.get("gate") == 404 and closed is not None:
                raise closed  # the gate is gone: closed before this write; nothing was written
            raise StoreUnavailable(f"Graph answered {outcome.status.get('gate')} to a gate check")
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
        if after and outcome.ok("opens"):
            self._gate_ids()[opens] = str(outcome.body["opens"].get("id") or "")
        await self._settle_rows(rows, outcome)  # those the batch did not hold are written now
        return new_version

    def _gate_ids(self) -> dict[str, str]:
        """Gate item ids this instance knows: `<kind>-open:<challenge>` -> list item id."""
        return self.__dict__.setdefault("_gate_item_ids", {})

    def _gate_request(self, key: str) -> Request:
        values = {"SettingKey": key, "Body": "", "UpdatedAt": _iso(datetime.now(UTC))}
        return self._api("settings").create_request("opens", values)

    # ---- the panel ------------------------------------------------------------------------
    async def save_panel(self, panel: Panel, outbox: Sequence[OutboxMessage] = ()) -> None:
        """Scoring open is the `scoring-open:<challenge>` gate item existing: made with the panel,
        deleted by the write that closes scoring, before the panel says so."""
        values = {"ChallengeId": panel.challenge_id, "ChairId": panel.chair_id,
                  "Body": json.dumps(panel_to_dict(panel), ensure_ascii=False)}  # fmt: skip
        key = f"{SCORING}-open:{panel.challenge_id}"
        opens = key if not panel.version and not panel.scoring_closed else ""
        gate_id = self._gate_ids().get(key) if panel.scoring_closed else None
        if gate_id:  # closing, the gate known: deleted first in the panel's own batch
            delete = self._api("settings").delete_request("gate", gate_id)
            try:
                panel.version = await self._save_record("panels", "ChallengeId", values, panel.version, outbox,
                                                        gate=delete, closed=_GateGone())  # fmt: skip
                return
            except _GateGone:  # deleted already (an earlier attempt, another instance): write the panel alone
                self._gate_ids().pop(key, None)
        elif panel.scoring_closed:
            await self._close_gate(SCORING, panel.challenge_id)
        panel.version = await self._save_record("panels", "ChallengeId", values, panel.version, outbox, opens=opens)

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
        gate = await self._gate(SCORING, card.challenge_id, still_open=self._scoring_open)
        if gate is None:
            raise ScoringClosed(card.challenge_id)
        card.version = await self._save_record("scorecards", "ScoreKey", values, card.version, outbox,
                                               gate=gate, closed=ScoringClosed(card.challenge_id))  # fmt: skip

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
        """Voting open is the `voting-open:<challenge>` gate item existing. The write that closes
        voting deletes it first (no vote is written after), lets the votes already past it land,
        then checks the counts it froze against the stored votes (ConcurrencyConflict: count
        again) before the poll says closed."""
        values = {"ChallengeId": poll.challenge_id, "VotingOpen": poll.is_open,
                  "Body": json.dumps(poll_to_dict(poll), ensure_ascii=False)}  # fmt: skip
        if not poll.is_open and await self._close_gate(VOTING, poll.challenge_id):
            await asyncio.sleep(GATE_SETTLE_SECONDS)
            stored = await self.count_votes(poll.challenge_id)
            if not frozen_counts_hold(poll, stored):
                raise ConcurrencyConflict(f"{poll.challenge_id}: votes cast since they were counted")
        opens = f"{VOTING}-open:{poll.challenge_id}" if not poll.version and poll.is_open else ""
        poll.version = await self._save_record("polls", "ChallengeId", values, poll.version, outbox, opens=opens)

    async def get_poll(self, challenge_id: str) -> Poll | None:
        item = await self._api("polls").first("ChallengeId", challenge_id, ("ChallengeId", "Body"))
        return poll_from_dict(json.loads(_fields(item)["Body"]), version=_version(item)) if item else None

    async def cast_vote(self, challenge_id: str, voter_id: str, finalist_id: str, now: datetime) -> VoteResult:
        """The vote's write goes in a sequential $batch behind a GET of the `voting-open` gate
        item: once closing voting has deleted it, the GET answers 404 and the write is never
        carried out (424). A new vote whose create failed is settled by reading its key back."""
        api, key = self._api("votes"), vote_key(challenge_id, voter_id)
        gate = await self._gate(VOTING, challenge_id, still_open=self._voting_open)
        if gate is None:
            raise VotingClosed(challenge_id)
        item: ListItem | None = None
        async for attempt in conflict_retry(attempts=CAST_ATTEMPTS):
            with attempt:
                if item is None:  # most votes are a first vote: created at once, without reading first
                    token = _token()
                    values = {"VoteKey": key, "ChallengeId": challenge_id, "VoterId": voter_id,
                              "FinalistId": finalist_id, "CastAt": _iso(now), "ChangedAt": _iso(now),
                              "Moves": 0, "WriteToken": token}  # fmt: skip
                    status = await self._behind_gate(gate, api.create_request("vote", values), challenge_id)
                    if status < 300:
                        return VoteResult(Vote(challenge_id, voter_id, finalist_id, now, now, 0), "")
                    # A clash (status undocumented) or a failure: read the key back.
                    item = await api.first("VoteKey", key, [*VOTE_FIELDS, "WriteToken"])
                    if item is None:
                        raise StoreUnavailable(f"Graph answered {status} to a new vote")
                    if _fields(item).get("WriteToken") == token:  # written after all: its answer was lost
                        return VoteResult(Vote(challenge_id, voter_id, finalist_id, now, now, 0), "")
                stored = _vote_from(item)
                if stored.finalist_id == finalist_id:
                    return VoteResult(stored, finalist_id)
                moved = {"FinalistId": finalist_id, "ChangedAt": _iso(now), "Moves": stored.moves + 1}
                status = await self._behind_gate(gate, api.patch_request("vote", str(item.id), moved, _etag(item)),
                                                 challenge_id)  # fmt: skip
                if status in (409, 412):
                    item = await api.first("VoteKey", key, VOTE_FIELDS)  # changed meanwhile: read again
                    raise ConcurrencyConflict(key)
                if status >= 300:
                    raise StoreUnavailable(f"Graph answered {status} to a vote's move")
                return VoteResult(
                    Vote(challenge_id, voter_id, finalist_id, stored.cast_at, now, stored.moves + 1), stored.finalist_id
                )
        raise ConcurrencyConflict(key)  # pragma: no cover - conflict_retry re-raises the last conflict

    async def _behind_gate(self, gate: Request, write: Request, challenge_id: str) -> int:
        """Run `write` after `gate` in one sequential $batch: the write's status (VotingClosed if
        the gate is gone)."""
        outcome = await self._batches.run([gate, write], sequential=True, deadline=self._deadline(self.click_budget))
        if outcome.leftover:
            raise StoreBusy("a vote was throttled past the time budget", outcome.retry_after)
        if not outcome.ok("gate"):
            if outcome.status.get("gate") == 404:
                raise VotingClosed(challenge_id)
            raise StoreUnavailable(f"Graph answered {outcome.status.get('gate')} to a gate check")
        return outcome.status.get(write.id, 0)

    # ---- the gates: an item whose existence keeps voting (or scoring) open -------------------------
    async def _voting_open(self, challenge_id: str) -> bool:
        poll = await self.get_poll(challenge_id)
        return poll is not None and poll.is_open

    async def _scoring_open(self, challenge_id: str) -> bool:
        panel = await self.get_panel(challenge_id)
        return panel is not None and not panel.scoring_closed

    async def _gate(self, kind: str, challenge_id: str, *, still_open) -> Request | None:
        """A GET of the gate item, to run ahead of a write in its $batch; None if it is closed.

        The gate is made with the poll (or panel); one opened before gates existed gets it here,
        after which the record is read again: if it closed meanwhile, the gate goes again."""
        ids = self._gate_ids()
        key, api = f"{kind}-open:{challenge_id}", self._api("settings")
        if key not in ids:
            item = await api.first("SettingKey", key, ["SettingKey"])
            if item is None:
                if not await still_open(challenge_id):
                    return None
                values = {"SettingKey": key, "Body": "", "UpdatedAt": _iso(datetime.now(UTC))}
                item, _ = await api.create_or_read(values, "SettingKey")
                if not await still_open(challenge_id):
                    await self._close_gate(kind, challenge_id)
                    return None
            ids[key] = str(item.id)
        return Request("gate", "GET", f"{api.path}/{quote(ids[key])}")

    async def _close_gate(self, kind: str, challenge_id: str) -> bool:
        """Delete the gate item; True if there was one (this write is the one that closes)."""
        api, key = self._api("settings"), f"{kind}-open:{challenge_id}"
        item_id = self._gate_ids().pop(key, None)
        if not item_id:
            item = await api.first("SettingKey", key, ["SettingKey"])
            if item is None:
                return False
            item_id = str(item.id)
        outcome = await self._batches.run([api.delete_request("close", item_id)], sequential=True,
                                          deadline=self._deadline(self.click_budget))  # fmt: skip
        if outcome.status.get("close") not in (200, 204, 404):
            raise StoreUnavailable(f"Graph answered {outcome.status.get('close')} to closing a gate")
        return outcome.status.get("close") != 404

    async def get_vote(self, challenge_id: str, voter_id: str) -> Vote | None:
        item = await self._api("votes").first("VoteKey", vote_key(challenge_id, voter_id), VOTE_FIELDS)
        return _vote_from(item) if item else None

    async def count_votes(self, challenge_id: str) -> dict[str, int]:
        items = await self._api("votes").query(
            f"fields/ChallengeId eq {odata_string(challenge_id)}", ("FinalistId",), slices=BY_VOTER
        )
        counts: dict[str, int] = {}
        for item in items:
            finalist = str(_fields(item).get("FinalistId") or "")
            counts[finalist] = counts.get(finalist, 0) + 1
        return counts


class _GateGone(Exception):
    """The gate a closing write meant to delete first was already gone."""


def _version(item: ListItem) -> str:
    return f"{item.id}|{_etag(item)}"


def _vote_from(item: ListItem) -> Vote:
    f = _fields(item)
    cast = _dt(f.get("CastAt")) or datetime.min
    return Vote(str(f.get("ChallengeId") or ""), str(f.get("VoterId") or ""), str(f.get("FinalistId") or ""),
                cast, _dt(f.get("ChangedAt")) or cast, int(f.get("Moves") or 0))  # fmt: skip
