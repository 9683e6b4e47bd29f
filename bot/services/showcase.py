"""The Den's showcase, for every member of the public service: the winners and funded ideas with their
latest progress, and the lessons learned their authors chose to share, so successes and failures are
both visible.

Winners are announced in the challenge's channel, so their titles and progress are shown to every
member; the owner's name only when they agreed to be named (asked of every finalist), and the
owner's progress note and a link to the idea only to those who may open the idea itself
(bot/domain/visibility.py). Lessons come from the tab's index, through the same visibility rule.
Reads: the stages at winner or beyond (three queries), the winners' ideas (a handful), the challenges.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.challenge import Challenge
from bot.domain.model import Idea
from bot.domain.stage import IdeaStage, Stage
from bot.domain.visibility import Viewer, may_see
from bot.ports.tab import TabIndex, TabPage, TabQuery

SHOWN_STAGES = (Stage.WINNER, Stage.IMPLEMENTING, Stage.IMPLEMENTED)


@dataclass(frozen=True)
class Success:
    idea: Idea
    stage: IdeaStage
    challenge: Challenge | None
    named: bool  # the owner agreed to be named
    open: bool  # the viewer may open the idea itself (its page, its notes)


@dataclass(frozen=True)
class Showcase:
    successes: list[Success]
    lessons: TabPage | None


class ShowcaseService:
    def __init__(self, store, index: TabIndex | None) -> None:
        self.store = store
        self.index = index

    async def showcase(self, viewer: Viewer) -> Showcase | None:
        """None for someone who is not a member of the tenant (a guest): the showcase is the public service's."""
        if not viewer.id or not viewer.member:
            return None
        stages: list[IdeaStage] = []
        for stage in SHOWN_STAGES:
            stages += await self.store.list_stages_in(stage)
        challenges = {c.id: c for c in await self.store.list_challenges()}
        successes = []
        for stage in stages:
            idea = await self.store.get(stage.idea_id)
            if idea is None:
                continue
            successes.append(Success(idea, stage, challenges.get(stage.challenge_id), stage.consent_to_name is True,
                                     may_see(idea, viewer)))
        successes.sort(key=lambda s: (s.stage.latest_update.at if s.stage.latest_update else s.stage.since),
                       reverse=True)
        lessons = None
        if self.index is not None:
            lessons = await self.index.search_ideas(viewer, TabQuery(lessons=True, page_size=10))
        return Showcase(successes, lessons)



