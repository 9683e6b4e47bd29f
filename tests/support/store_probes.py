"""Questions only tests and benchmarks ask of a store, kept out of the production classes.

Each reads the store's own records (SQL, the SharePoint lists through Graph, or the in-memory
dicts), so a test can check what was written without the app having to offer a method for it.
"""

from __future__ import annotations

import json

from bot.adapters.graph_client import odata_string
from bot.adapters.outbox_groups import GROUP_KIND, members_of_row
from bot.adapters.serialization import idea_from_dict
from bot.adapters.sharepoint_store import SharePointStore, _fields
from bot.adapters.sqlite_store import SqliteStore
from bot.domain.model import Idea
from tests.support.memory_store import MemoryStore


async def pending_outbox(store) -> int:
    """How many notifications are still waiting to be delivered."""
    if isinstance(store, SqliteStore):
        row = await store._fetchone("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        return int(row[0])
    if isinstance(store, SharePointStore):  # a group row (outbox_groups) counts its members not yet recorded
        rows = [_fields(i) for i in await store._api("outbox").query("fields/State eq 'pending'",
                                                                     ["MessageId", "Kind", "Payload"])]
        return sum(sum(not done for _, done in members_of_row(f)) if f.get("Kind") == GROUP_KIND else 1 for f in rows)
    if isinstance(store, MemoryStore):
        return sum(1 for q in store.outbox.values() if q.state == "pending")
    raise TypeError(type(store).__name__)


async def digest_deliveries(store, week_key: str) -> dict[str, tuple[str, str]]:
    """{dm id: (state, detail)} for one ISO week's digest."""
    if isinstance(store, SqliteStore):
        rows = await store._fetchall(
            "SELECT dm_id, state, detail FROM digest_deliveries WHERE week_key = ?", (week_key,)
        )
        return {r["dm_id"]: (r["state"], r["detail"]) for r in rows}
    if isinstance(store, SharePointStore):
        items = await store._api("digests").query(
            f"fields/WeekKey eq {odata_string(week_key)}", ["DmId", "State", "Detail"]
        )
        return {_fields(i)["DmId"]: (_fields(i).get("State", ""), _fields(i).get("Detail", "")) for i in items}
    if isinstance(store, MemoryStore):
        return {dm: (d.state, d.detail) for (dm, week), d in store.deliveries.items() if week == week_key}
    raise TypeError(type(store).__name__)


async def held_by(store, user_id: str) -> list[Idea]:
    """The open ideas waiting on this approver, oldest change first (checks the holder is kept up to date)."""
    if isinstance(store, SqliteStore):
        rows = await store._fetchall(
            "SELECT body, version FROM ideas WHERE holder_id = ? AND status = 'in_review' ORDER BY updated_at",
            (user_id,),
        )
        return [idea_from_dict(json.loads(r["body"]), version=r["version"]) for r in rows]
    if isinstance(store, SharePointStore):
        ideas = await store._list_ideas(f"fields/HolderId eq {odata_string(user_id)} and fields/Status eq 'in_review'")
    elif isinstance(store, MemoryStore):
        ideas = [i for i in await store.list_open() if i.holder_id == user_id]
    else:
        raise TypeError(type(store).__name__)
    return sorted(ideas, key=lambda i: i.updated_at or i.created_at)
