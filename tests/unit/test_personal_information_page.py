"""The access export's readable page: every code a record can hold is said in both languages."""

from __future__ import annotations

from bot.domain.connect import ConnectState
from bot.domain.outbox import MessageKind
from bot.web.personal_information import CODES, FIELDS, as_html


def test_every_message_kind_and_connect_answer_reads_as_words():
    assert sorted(set(MessageKind) - set(CODES["kind"])) == []
    assert sorted(set(ConnectState) - set(CODES["answer"])) == []


def test_a_request_to_connect_reads_in_both_languages_with_its_labels():
    row = {"role": "askedOfYou", "idea": "DEN-2026-0001", "title": "<i>Forms</i>", "answer": "pending",
           "askedAt": "2026-12-01T14:00:00+00:00", "answeredAt": None, "with": "", "branch": "Policy Branch"}
    page = as_html({"person": {"id": "kim"}, "connectionRequests": [row]})
    assert set(row) <= set(FIELDS)
    assert "Requests to connect" in page and "Demandes de contact" in page
    assert "Not answered yet" in page and "Sans réponse pour l’instant" in page and "2026-12-01 14:00 UTC" in page
    assert "&lt;i&gt;Forms&lt;/i&gt;" in page and "<i>Forms</i>" not in page
