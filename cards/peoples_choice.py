"""People's Choice and the room, in the challenge's channel.

The People's Choice card everyone sees has a *Vote* button per finalist and no counts. Its
`refresh` (Universal Actions) makes Teams ask the bot for each listed user's own view, which
shows their vote; Teams refreshes at most 60 listed users automatically, so the card also has
a *Show my vote* button (the same refresh, by hand) for everyone else. Once voting closes the
card shows the result to everyone, and needs no refresh.

Each finalist that every member may open (shared with consent, cards/challenge.py's announcement
rule) has a *View* button, made a link to its page in the Den tab before the card leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.challenge import Challenge
from bot.domain.model import Idea
from bot.domain.panel import Panel
from bot.domain.visibility import is_public
from bot.domain.voting import Poll
from bot.i18n import Messages
from cards import verbs
from cards.common import Element, card, confirm_first, container, execute, good, heading, subtle, text, view_idea
from cards.safe_text import plain


def _view(m: Messages, idea: Idea) -> list[Element]:
    """The finalist's View button, where every member of the channel may open the idea."""
    return [view_idea(m, idea.id, idea.reference)] if is_public(idea) else []


def peoples_choice_card(
    m: Messages,
    challenge: Challenge,
    finalists: Sequence[Idea],
    poll: Poll,
    *,
    my_vote: str | None = None,
    personal: bool = False,
    organiser: bool = False,
    notice: str = "",
) -> dict[str, Any]:
    """`personal`: the view for one person (their vote shown); else the view everyone gets."""
    ideas = {i.id: i for i in finalists}
    ref = {"challengeId": challenge.id}
    body: list[Element] = [heading(m.t("pc.title", name=challenge.name))]
    if notice:
        body.append(good(notice))
    if not poll.is_open:
        return _closed(m, body, poll, ideas)
    body.append(text(m.t("pc.body")))
    if personal:
        chosen = ideas.get(my_vote or "")
        body.append(text(m.t("pc.your_vote", title=plain(chosen.pitch.title)) if chosen else m.t("pc.no_vote_yet"),
                         weight="Bolder"))  # fmt: skip
    for finalist_id in poll.finalist_ids:
        idea = ideas.get(finalist_id)
        if idea is None:
            continue
        mine = personal and my_vote == finalist_id
        label = m.t("pc.action.voted") if mine else m.t("pc.action.vote")
        button = execute(label, verbs.VOTE, {**ref, "finalistId": finalist_id}, style="positive" if mine else "default")
        items: list[Element] = [text(plain(idea.pitch.title), weight="Bolder"), subtle(idea.reference)]
        items.append({"type": "ActionSet", "actions": [button, *_view(m, idea)]})
        body.append(container(items, separator=True, style="emphasis" if mine else "default"))
    body.append(subtle(m.t("pc.hidden_counts")))
    actions = [execute(m.t("pc.action.show_mine"), verbs.VOTE_VIEW, ref)]
    if personal and organiser:  # cannot be undone: the card says so and asks again
        close = execute(m.t("pc.action.close_confirm"), verbs.VOTING_CLOSE, ref, style="destructive")
        actions.append(confirm_first(m.t("pc.action.close"), m.t("pc.close.are_you_sure"), close))
    made = card(m, body, actions)
    made["refresh"] = {
        "action": {"type": "Action.Execute", "title": m.t("pc.action.show_mine"), "verb": verbs.VOTE_VIEW,
                   "data": ref},
        "userIds": list(poll.refresh_ids),
    }  # fmt: skip
    return made


def _closed(m: Messages, body: list[Element], poll: Poll, ideas: dict[str, Idea]) -> dict[str, Any]:
    winners = [ideas[w] for w in poll.winners() if w in ideas]
    if not winners:
        body.append(text(m.t("pc.result.no_votes"), weight="Bolder"))
    elif len(winners) == 1:
        body.append(good(m.count("pc.result.winner", poll.counts[winners[0].id], title=plain(winners[0].pitch.title))))
    else:
        titles = " · ".join(plain(w.pitch.title) for w in winners)
        body.append(good(m.count("pc.result.tie", poll.counts[winners[0].id], titles=titles)))
    for finalist_id, votes in poll.standings():
        idea = ideas.get(finalist_id)
        if idea is not None:
            items = [text(plain(idea.pitch.title), weight="Bolder"), subtle(m.count("pc.votes", votes))]
            if _view(m, idea):
                items.append({"type": "ActionSet", "actions": _view(m, idea)})
            body.append(container(items, separator=True))
    body.append(subtle(m.count("pc.result.total", poll.total)))
    return card(m, body)


def peoples_choice_result_card(m: Messages, challenge: Challenge, finalists: Sequence[Idea], poll: Poll) -> dict:
    """The announcement in the channel when voting closes."""
    return _closed(m, [heading(m.t("pc.announce.title", name=challenge.name))], poll, {i.id: i for i in finalists})


def now_pitching_card(m: Messages, challenge: Challenge, finalists: Sequence[Idea], panel: Panel) -> dict[str, Any]:
    """The room's card: who is pitching, who is next; the chair moves it on."""
    body: list[Element] = [heading(m.t("room.title", name=challenge.name))]
    index, count = panel.now_pitching, len(finalists)
    if index >= count:
        body.append(good(m.t("room.done", count=count)))
    elif 0 <= index < count:
        current = finalists[index]
        body.append(subtle(m.t("room.position", number=index + 1, count=count)))
        body.append(text(plain(current.pitch.title), size="ExtraLarge", weight="Bolder"))
        body.append(text(plain(current.pitch.problem[:300]), isSubtle=True))
        if _view(m, current):
            body.append({"type": "ActionSet", "actions": _view(m, current)})
        if index + 1 < count:
            body.append(text(m.t("room.next", title=plain(finalists[index + 1].pitch.title)), spacing="Medium"))
    else:
        body.append(text(m.t("room.soon")))
    body.append(subtle(m.t("room.chair_only")))
    actions = [execute(m.t("room.action.back"), verbs.ROOM, {"challengeId": challenge.id, "step": -1})]
    if index < count:
        actions.append(execute(m.t("room.action.next"), verbs.ROOM, {"challengeId": challenge.id, "step": 1},
                               style="positive"))  # fmt: skip
    return card(m, body, actions)
