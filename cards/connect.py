"""Similar ideas and asking to connect: the suggestions (receipt, form), the owner's request card, and
the answers. Names appear only once the owner accepted (bot/domain/connect.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.domain.connect import ConnectRequest, ConnectState
from bot.domain.model import Person
from bot.i18n import Messages
from bot.ports.tab import TabHit
from cards import verbs
from cards.common import Element, card, container, execute, heading, subtle, text, view_idea
from cards.safe_text import plain


def similar_section(m: Messages, hits: list[TabHit]) -> list[Element]:
    """Up to three shared ideas like this one, each with *Ask to connect*."""
    if not hits:
        return []
    items: list[Element] = [text(m.t("connect.similar.title"), weight="Bolder"), subtle(m.t("connect.similar.intro"))]
    for hit in hits:
        area = m.t(f"choice.program_area.{hit.program_area}")
        where = " · ".join(part for part in (hit.reference, plain(hit.branch), area) if part)
        items.append(
            container(
                [
                    text(plain(hit.title), weight="Bolder", spacing="Small"),
                    subtle(where),
                    {
                        "type": "ActionSet",
                        "actions": [
                            view_idea(m, hit.idea_id, hit.reference),
                            execute(
                                m.t("connect.ask", reference=hit.reference), verbs.CONNECT_ASK, {"ideaId": hit.idea_id}
                            ),
                        ],
                    },
                ],
                spacing="Small",
            )
        )
    return [container(items, separator=True, spacing="Medium")]


def no_similar(m: Messages) -> list[Element]:
    return [container([text(m.t("connect.similar.none"))], separator=True)]


def _chat(m: Messages, name: str, email: str) -> list[Element]:
    """A button that opens a Teams chat with the person (their sign-in address), when it is known."""
    if not email:
        return []
    url = f"https://teams.microsoft.com/l/chat/0/0?users={quote(email)}"
    return [{"type": "Action.OpenUrl", "title": m.t("connect.chat", name=name), "url": url}]


def asked_card(m: Messages, request: ConnectRequest) -> dict[str, Any]:
    """To the owner: someone in a branch would like to talk (no name until they accept)."""
    body = [
        heading(m.t("connect.asked.title")),
        text(
            m.t(
                "connect.asked.body",
                branch=plain(request.asker.branch_in(m.language)) or m.t("connect.someone_branch"),
                reference=request.idea_reference,
                title=plain(request.idea_title),
            )
        ),
        subtle(m.t("connect.asked.privacy")),
    ]
    if request.state != ConnectState.PENDING:
        return answered_for_owner(m, request)
    data = {"requestId": request.id}
    return card(
        m,
        body,
        [
            execute(m.t("connect.accept"), verbs.CONNECT_ACCEPT, data, style="positive"),
            execute(m.t("connect.decline"), verbs.CONNECT_DECLINE, data),
            *_view(m, request),
        ],
    )


def answered_for_owner(m: Messages, request: ConnectRequest) -> dict[str, Any]:
    """To the owner, once they answered: accepted (the asker's name and a chat), or declined."""
    if request.state == ConnectState.ACCEPTED:
        return _accepted(m, request, other=request.asker, said=m.t(
            "connect.accepted.owner", name=plain(request.asker.name), branch=plain(request.asker.branch_in(m.language)),
            reference=request.idea_reference))
    return card(m, [heading(m.t("connect.declined.title")), text(m.t("connect.declined.owner"))], _view(m, request))


def answered_for_asker(m: Messages, request: ConnectRequest) -> dict[str, Any]:
    """To the asker: accepted (the owner's name and a chat), or "not now" (no name, ever)."""
    if request.state == ConnectState.ACCEPTED:
        return _accepted(m, request, other=request.owner, said=m.t(
            "connect.accepted.asker", name=plain(request.owner.name), reference=request.idea_reference,
            title=plain(request.idea_title)))
    body = [
        heading(m.t("connect.not_now.title")),
        text(m.t("connect.not_now.body", reference=request.idea_reference, title=plain(request.idea_title))),
    ]
    return card(m, body, _view(m, request))


def _accepted(m: Messages, request: ConnectRequest, *, other: Person, said: str) -> dict[str, Any]:
    """Both sides' card once the owner accepted: who the other person is, and a chat with them."""
    return card(m, [heading(m.t("connect.accepted.title")), text(said)],
                [*_chat(m, plain(other.name), other.email), *_view(m, request)])


def _view(m: Messages, request: ConnectRequest) -> list[Element]:
    """The idea the request is about, opened in the Den tab."""
    return [view_idea(m, request.idea_id, request.idea_reference)]
