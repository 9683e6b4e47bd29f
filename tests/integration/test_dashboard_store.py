"""The embedded store's read for a challenge's dashboard gives exactly the digest's projection of those ideas."""

from __future__ import annotations

from bot.adapters.sqlite_store import SqliteStore
from tests.support.den_dashboard import pitched, seed_challenge


async def test_a_challenges_projections_from_the_columns_equal_the_digests_scan(tmp_path):
    for path in (":memory:", str(tmp_path / "den.sqlite3")):
        store = SqliteStore(path)
        await store.open()
        challenge, _ = await seed_challenge(store, count=30)
        await store.add(pitched(99, challenge="another-challenge"))
        scanned = {i.id: i async for page in store.scan_for_digest(None) for i in page if i.challenge == challenge.id}
        narrowed = {i.id: i async for page in store.scan_challenge(challenge.id) for i in page}
        await store.close()
        assert narrowed == scanned and len(narrowed) == 30
        assert any(i.is_open and i.holder_name for i in narrowed.values())  # who holds what waits
        assert any(i.shortlisted for i in narrowed.values()) and any(len(i.decisions) == 3 for i in narrowed.values())
