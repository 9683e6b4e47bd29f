"""An access request's answer, rendered: JSON for machines, and one HTML page in English and French.

The page is what a person receives (from an administrator, from the bot's `my information` command, or
from the Den tab's "My information" page): every label in both official languages, each in its own
`lang`, the data once. Everything is escaped: it is what people typed. It works as a file opened
from disk (no scripts, no outside resources, styles inline) and prints cleanly.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import escape
from typing import Any

from bot.i18n import Messages

EN, FR = Messages("en-CA"), Messages("fr-CA")

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Your information held by Deputy's Den", "Vos renseignements détenus par Deputy's Den"),
    "intro": (
        "Everything Deputy's Den holds about you on the date below, in answer to your request for access "
        "under the Freedom of Information and Protection of Privacy Act.",
        "Tous les renseignements que Deputy's Den détient à votre sujet à la date ci-dessous, en réponse à votre "
        "demande d’accès présentée en vertu de la Loi sur l’accès à l’information et la protection de la vie "
        "privée.",
    ),
    "person": ("Person", "Personne"),
    "generated": ("Prepared on", "Préparé le"),
    "notice": ("Notice of collection", "Avis de collecte de renseignements personnels"),
    "authority": ("Legal authority", "Autorisation légale"),
    "purpose": ("Purpose", "Objet"),
    "contact": ("Questions and corrections", "Questions et corrections"),
    "ideasPitched": ("Ideas you pitched", "Idées que vous avez proposées"),
    "actionsOnOthersIdeas": (
        "Your decisions and comments on other people's ideas",
        "Vos décisions et commentaires sur les idées d’autres personnes",
    ),
    "scoresGiven": ("Scores you gave as a judge", "Notes que vous avez attribuées comme membre du jury"),
    "votesCast": ("Your People's Choice votes", "Vos votes pour le Prix du public"),
    "messagesSent": ("Messages sent to you", "Messages qui vous ont été envoyés"),
    "actingArrangements": ("Acting arrangements", "Intérims"),
    "preferences": ("Your choices", "Vos choix"),
    "connectionRequests": ("Requests to connect", "Demandes de contact"),
    "conversation": ("Your chat with the bot", "Votre conversation avec Deputy's Den"),
    "corrections": ("Corrections made at your request", "Corrections apportées à votre demande"),
    "accessRequests": ("Earlier access requests", "Demandes d’accès précédentes"),
    "none": ("None.", "Aucun."),
    "pitch": ("The pitch", "La proposition"),
    "earlierRevisions": ("Earlier revisions", "Révisions précédentes"),
    "route": ("Approval chain", "Chaîne d’approbation"),
    "decisions": ("Decisions and comments", "Décisions et commentaires"),
    "history": ("History", "Historique"),
    "stage": ("In the challenge", "Dans le défi"),
}
FIELDS: dict[str, tuple[str, str]] = {
    "reference": ("Reference", "Référence"),
    "title": ("Title", "Titre"),
    "status": ("Status", "État"),
    "createdAt": ("Pitched on", "Proposée le"),
    "challenge": ("Challenge", "Défi"),
    "revision": ("Revision", "Révision"),
    "problem": ("Problem", "Problème"),
    "solution": ("Solution", "Solution"),
    "beneficiaries": ("Who benefits", "Bénéficiaires"),
    "program_area": ("Program area", "Secteur de programme"),
    "cost_band": ("Cost", "Coût"),
    "first_steps": ("First steps", "Premières étapes"),
    "people": ("People needed", "Personnes requises"),
    "level": ("Level", "Niveau"),
    "approver": ("Approver", "Approbation"),
    "actingFor": ("Acting for", "Par intérim au nom de"),
    "by": ("By", "Par"),
    "outcome": ("Decision", "Décision"),
    "comment": ("Comment", "Commentaire"),
    "at": ("Date", "Date"),
    "kind": ("What", "Quoi"),
    "from": ("From", "De"),
    "to": ("To", "À"),
    "text": ("Text", "Texte"),
    "idea": ("Idea", "Idée"),
    "action": ("What you did", "Ce que vous avez fait"),
    "finalist": ("Finalist", "Finaliste"),
    "conflict": ("Conflict of interest", "Conflit d’intérêts"),
    "declaredAt": ("Declared on", "Déclaré le"),
    "scores": ("Scores", "Notes"),
    "scoredAt": ("Scored on", "Noté le"),
    "changedAt": ("Changed on", "Modifié le"),
    "castAt": ("Voted on", "Voté le"),
    "state": ("Delivery", "Envoi"),
    "for": ("Acting for", "Intérim de"),
    "lastDay": ("Last day", "Dernier jour"),
    "language": ("Language of the cards", "Langue des cartes"),
    "conversationId": ("Conversation", "Conversation"),
    "locale": ("Teams language", "Langue de Teams"),
    "updatedAt": ("Last updated", "Dernière mise à jour"),
    "field": ("Field", "Champ"),
    "original": ("Before", "Avant"),
    "corrected": ("After", "Après"),
    "reason": ("Why", "Motif"),
    "requestedBy": ("Asked by", "Demandée par"),
    "replacedAt": ("Replaced on", "Remplacée le"),
    "stage": ("Stage", "Étape"),
    "amount": ("Amount", "Montant"),
    "branch": ("Branch", "Direction"),
    "conditions": ("Conditions", "Conditions"),
    "recordedAt": ("Recorded on", "Enregistré le"),
    "note": ("Note", "Note"),
    "consentToName": ("May the channel name you", "Le canal peut-il vous nommer"),
    "shared": ("Shared with the whole public service", "Communiquée à toute la fonction publique"),
    "lesson": ("Lesson learned", "Leçon retenue"),
    "role": ("Who asked", "Qui a fait la demande"),
    "answer": ("Answer", "Réponse"),
    "askedAt": ("Asked on", "Demandée le"),
    "answeredAt": ("Answered on", "Date de la réponse"),
    "with": ("The other person", "L’autre personne"),
    "format": ("Format", "Format"),
    "name": ("Name", "Nom"),
    "email": ("Email", "Courriel"),
    "id": ("Id", "Identifiant"),
    "correctedBy": ("Corrected by", "Corrigé par"),
    "channel": ("How it was asked", "Moyen"),
}
# Codes the records hold, as a reader says them (the catalogue's own words where it has them).
CATALOGUE_KEYS = {
    "status": "status.{}",
    "outcome": "outcome.{}",
    "level": "role.{}",
    "program_area": "choice.program_area.{}",
    "cost_band": "choice.cost_band.{}",
    "beneficiaries": "choice.beneficiaries.{}",
    "stage": "den.stage.{}",
    "field": "idea.label.{}",
}
CODES: dict[str, dict[str, tuple[str, str]]] = {
    "state": {"sent": ("Sent", "Envoyé"), "pending": ("Waiting to be sent", "En attente d’envoi"),
              "failed": ("Could not be delivered", "Non livré")},
    "conflict": {"none": ("No conflict of interest", "Aucun conflit d’intérêts"), "recused": ("Recused", "Récusation"),
                 "undeclared": ("Not declared yet", "Pas encore déclaré")},
    "language": {"fr": ("French", "Français"), "en": ("English", "Anglais")},
    "channel": {"chat": ("In the chat with the bot", "Dans la conversation avec Deputy's Den"),
                "administrator": ("By the Den administrators", "Par l’équipe d’administration"),
                "tab": ("Downloaded from My information in the Den tab",
                        "Téléchargée à partir de Mes renseignements, dans l’onglet de Deputy's Den")},
    "kind": {
        "approval_request": ("Approval request", "Demande d’approbation"),
        "decision_update": ("Decision on your idea", "Décision sur votre idée"),
        "filed_receipt": ("Idea filed", "Idée enregistrée"),
        "reminder": ("Reminder", "Rappel"),
        "waiting": ("Where your idea waits", "Où en est votre idée"),
        "stage_update": ("Stage in the challenge", "Étape dans le défi"),
        "pitch_form": ("Pitch form", "Formulaire de proposition"),
        "pool_ready": ("Ideas to review", "Idées à examiner"),
        "follow_up": ("Implementation update asked", "Demande d’état d’avancement"),
        "challenge_digest": ("Challenge summary", "Résumé du défi"),
        "informed": ("For information", "Pour information"),
        "informed_outcome": ("How an idea ended", "Issue d’une idée"),
        "withdrawn": ("Idea withdrawn", "Idée retirée"),
        "comment": ("Comment on your idea", "Commentaire sur votre idée"),
        "shortlisted": ("Shortlisted", "Présélectionnée"),
        "corrected": ("Correction", "Correction"),
        "panel_named": ("Named to the panel", "Nomination au jury"),
        "scorecard": ("Scorecard", "Grille d’évaluation"),
        "panel_reminder": ("Scoring reminder", "Rappel d’évaluation"),
        "panel_results": ("Panel results", "Résultats du jury"),
        "acting": ("Acting approver", "Approbation par intérim"),
        "reassigned": ("Passed to a colleague", "Confiée à une autre personne"),
        "escalated": ("Escalated", "Transmise au niveau supérieur"),
        "moved_on": ("Moved on without a decision", "Passée sans décision"),
        "second_look": ("Second look asked", "Réexamen demandé"),
        "commented": ("Comment", "Commentaire"),
        "connect_asked": ("Someone asked to connect", "Demande de contact reçue"),
        "connect_answered": ("Answer to your request to connect", "Réponse à votre demande de contact"),
        "call_for_ideas": ("Call for ideas", "Appel d’idées"),
        "window_closed": ("Call for ideas closed", "Appel d’idées terminé"),
        "finalists_announced": ("Finalists announced", "Annonce des finalistes"),
        "winners_announced": ("Winning ideas announced", "Annonce des idées lauréates"),
        "peoples_choice_result": ("People's Choice result", "Résultat du Prix du public"),
    },
    "role": {"asked": ("You asked to connect", "Vous avez demandé à entrer en contact"),
             "askedOfYou": ("Someone asked you, about your idea", "Une personne, au sujet de votre idée")},
    "answer": {"pending": ("Not answered yet", "Sans réponse pour l’instant"), "accepted": ("Accepted", "Acceptée"),
               "declined": ("Declined", "Refusée")},
}  # fmt: skip
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
SECTIONS = (
    "ideasPitched",
    "actionsOnOthersIdeas",
    "scoresGiven",
    "votesCast",
    "messagesSent",
    "connectionRequests",
    "actingArrangements",
    "preferences",
    "conversation",
    "corrections",
    "accessRequests",
)


def as_json(info: dict[str, Any]) -> str:
    return json.dumps(info, ensure_ascii=False, indent=2) + "\n"


def _pair(en: str, fr: str, first: str, sep: str = " ") -> str:
    """Both languages, each marked with its own; the reader's (`first`) first, the other after a slash."""
    shown = [("en", en), ("fr", fr)] if first != "fr" else [("fr", fr), ("en", en)]
    (lead, lead_text), (other, other_text) = shown
    return (f'<span lang="{lead}">{escape(lead_text)}</span>{sep}'
            f'<span class="other" lang="{other}">/ {escape(other_text)}</span>')  # fmt: skip


def both(key: str, table: dict[str, tuple[str, str]] = LABELS, first: str = "en") -> str:
    """A label in both languages, each marked with its language, the reader's first."""
    en, fr = table.get(key, (key, key))
    return _pair(en, fr, first)


def _code(key: str, value: str, first: str) -> str | None:
    """A code in both languages, or None if `key` holds no code."""
    if key == "action" and value.startswith("decision:"):
        key, value = "outcome", value.split(":", 1)[1]
    if key in CATALOGUE_KEYS:
        name = CATALOGUE_KEYS[key].format(value)
        if EN.has(name):
            return _pair(EN.t(name), FR.t(name), first)
    if key in CODES or key == "action":
        en, fr = CODES["kind" if key == "action" else key].get(value, (value, value))
        return _pair(en, fr, first)
    return None


def _moment(text: str) -> str:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment.tzinfo else text


def _value(value: Any, key: str = "", first: str = "en") -> str:
    if isinstance(value, str) and value and key:
        coded = _code(key, value, first)
        if coded is not None:
            return coded
    if isinstance(value, str) and _MOMENT.match(value):
        return _moment(value)
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _pair("yes", "oui", first) if value else _pair("no", "non", first)
    if isinstance(value, dict):
        return "<br>".join(f"{escape(str(k))}: {escape(str(v))}" for k, v in value.items())
    return escape(str(value)).replace("\n", "<br>")


def _table(rows: list[dict[str, Any]], first: str) -> str:
    if not rows:
        return f"<p>{both('none', first=first)}</p>"
    columns = [k for k in rows[0] if not isinstance(rows[0][k], list)]
    head = "".join(f'<th scope="col">{both(c, FIELDS, first)}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_value(r.get(c), c, first)}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(data: dict[str, Any] | None, first: str) -> str:
    if not data:
        return f"<p>{both('none', first=first)}</p>"
    items = "".join(f"<dt>{both(k, FIELDS, first)}</dt><dd>{_value(v, k, first)}</dd>" for k, v in data.items())
    return f"<dl>{items}</dl>"


def _idea(idea: dict[str, Any], first: str) -> str:
    heading = f"{escape(idea['reference'])} — {escape(idea['title'])}"
    summary = {k: idea[k] for k in ("status", "createdAt", "challenge", "revision", "shared") if k in idea}
    parts = [f"<section class='idea'><h3>{heading}</h3>", _pairs(summary, first)]
    parts += [f"<h4>{both('pitch', first=first)}</h4>", _pairs(idea["pitch"], first)]
    if idea["earlierRevisions"]:
        parts.append(f"<h4>{both('earlierRevisions', first=first)}</h4>")
        for earlier in idea["earlierRevisions"]:
            dated = {"revision": earlier["revision"], "replacedAt": earlier["replacedAt"]}
            parts.append(_pairs({**dated, **earlier["pitch"]}, first))
    parts += [f"<h4>{both('route', first=first)}</h4>", _table(idea["route"], first)]
    parts += [f"<h4>{both('decisions', first=first)}</h4>", _table(idea["decisions"], first)]
    parts += [f"<h4>{both('history', first=first)}</h4>", _table(idea["history"], first)]
    if idea.get("stage"):
        stage = idea["stage"]
        now = {"stage": stage["stage"], "consentToName": stage["consentToName"]}
        parts += [f"<h4>{both('stage', first=first)}</h4>", _pairs(now, first)]
        parts.append(_table(stage["changes"], first))
        if stage.get("funding"):
            parts.append(_pairs(stage["funding"], first))
        parts.append(_table(stage["updates"], first))
    if idea.get("lesson"):
        parts += [f"<h4>{both('lesson', FIELDS, first)}</h4>", _pairs(idea["lesson"], first)]
    parts.append("</section>")
    return "".join(parts)


STYLE = """
body { font-family: "Segoe UI", system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1a1a1a;
       line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 2px solid #1a1a1a; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; } h4 { font-size: 1rem; margin: 1rem 0 .3rem; }
.other { color: #404040; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #767676; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
dl { display: grid; grid-template-columns: 16rem 1fr; gap: .2rem .8rem; margin: .4rem 0 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
.idea { border-left: 4px solid #767676; padding-left: 1rem; }
@media print { body { margin: 0; max-width: none; } .idea { break-inside: avoid-page; } }
"""


def file_stem(info: dict[str, Any]) -> str:
    """The files' name, without the extension: the same for the administrators' export and the tab's."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in info["person"]["id"])[:80]
    return f"information-{safe}-{(info.get('generatedAt') or '')[:10]}"


def as_html(info: dict[str, Any], language: str = "en") -> str:
    """The readable page: every label in English and French, the person's `language` first (and the
    page's own `lang`), the other after it."""
    first = "fr" if language == "fr" else "en"
    order = (0, 1) if first == "en" else (1, 0)
    title = [LABELS["title"][n] for n in order]
    intro = [(("en", "fr")[n], LABELS["intro"][n], ' class="other"' if n == order[1] else "") for n in order]
    person = info["person"]
    notice = info.get("notice") or {}
    parts = [
        f'<!DOCTYPE html><html lang="{first}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title[0])} / {escape(title[1])}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        f"<h1>{both('title', first=first)}</h1>",
        "".join(f'<p lang="{lang}"{css}>{escape(words)}</p>' for lang, words, css in intro),
        _pairs({"name": person.get("name"), "email": person.get("email"), "id": person.get("id")}, first),
        f"<p><strong>{both('generated', first=first)}</strong> {_value(info.get('generatedAt') or '')}</p>",
    ]
    if notice:
        parts.append(f"<h2>{both('notice', first=first)}</h2><dl>")
        for key in ("authority", "purpose", "contact"):
            parts.append(f"<dt>{both(key, first=first)}</dt><dd>{_value(notice.get(key))}</dd>")
        parts.append("</dl>")
    for section in SECTIONS:
        parts.append(f'<h2 id="{section}">{both(section, first=first)}</h2>')
        data = info.get(section)
        if section == "ideasPitched":
            parts.append("".join(_idea(i, first) for i in data) if data else f"<p>{both('none', first=first)}</p>")
        elif isinstance(data, list):
            parts.append(_table(data, first))
        else:
            parts.append(_pairs(data, first))
    parts.append("</main></body></html>\n")
    return "".join(parts)
