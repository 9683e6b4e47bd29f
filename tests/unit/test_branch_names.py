"""Branch names in the reader's language: the org file may give a branch's French name beside its
English one (`branchFr`), it travels with the person into the records, and French cards show it,
falling back to the English name where the directory has no French one."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.adapters.org_directory import OrgFileDirectory
from bot.adapters.serialization import idea_from_dict, idea_to_dict, person_from_dict, person_to_dict
from bot.domain import stage as st
from bot.domain.connect import ConnectRequest, ConnectState
from bot.domain.model import Person
from bot.i18n import Messages
from cards.challenge import announcement_card
from cards.connect import answered_for_owner, asked_card
from cards.digest import digest_card
from tests.support.people import SAM
from tests.support.running_app import DEMO_ORG
from tests.unit.test_challenge_cards import AFTER, T0, scenario

CLIENT_SERVICES_FR = "Direction des services à la clientèle"


async def test_the_demo_org_file_names_each_branch_in_both_languages():
    directory = OrgFileDirectory.from_file(DEMO_ORG)
    sam = await directory.get_person(SAM.aad_id)
    assert (sam.branch, sam.branch_fr) == ("Client Services Branch", CLIENT_SERVICES_FR)
    assert all(e.person.branch_fr for e in directory.people()), "every demo branch has its French name"


async def test_a_french_name_given_once_serves_the_whole_branch_and_none_falls_back_to_english():
    directory = OrgFileDirectory.from_dict({"people": [
        {"id": "a", "name": "A", "branch": "Policy Branch", "branchFr": "Direction des politiques"},
        {"id": "b", "name": "B", "branch": "Policy Branch", "managerId": "a"},
        {"id": "c", "name": "C", "branch": "Digital Branch", "managerId": "a"},
    ]})  # fmt: skip
    b, c = await directory.get_person("b"), await directory.get_person("c")
    assert b.branch_in("fr") == "Direction des politiques" and b.branch_in("en") == "Policy Branch"
    assert c.branch_fr == "" and c.branch_in("fr") == "Digital Branch", "no French name: the English one"


def test_the_french_name_is_kept_with_the_records():
    person = Person("p", "Pat", branch="Policy Branch", branch_fr="Direction des politiques")
    assert person_from_dict(json.loads(json.dumps(person_to_dict(person)))) == person
    assert "branchFr" not in person_to_dict(replace(person, branch_fr="")), "older records read the same"
    _, ideas, _ = scenario(1)
    idea = ideas[0]
    idea.submitter = replace(idea.submitter, branch_fr=CLIENT_SERVICES_FR)
    assert idea_from_dict(json.loads(json.dumps(idea_to_dict(idea)))).submitter.branch_fr == CLIENT_SERVICES_FR


def test_french_cards_show_the_branch_in_french_and_english_cards_in_english():
    challenge, ideas, stages = scenario(2)
    for idea in ideas:
        idea.submitter = replace(idea.submitter, branch_fr=CLIENT_SERVICES_FR)
        st.shortlist(challenge, stages[idea.id], actor_id="dana", now=T0)
    st.choose_finalists(challenge, stages.values(), ["i0", "i1"], actor_id="dana", now=AFTER)
    rows = [(i, stages[i.id]) for i in ideas]
    french = json.dumps(announcement_card(Messages("fr-CA"), challenge, rows, winners=False), ensure_ascii=False)
    english = json.dumps(announcement_card(Messages("en-CA"), challenge, rows, winners=False), ensure_ascii=False)
    assert CLIENT_SERVICES_FR in french and "Client Services Branch" not in french
    assert "From Client Services Branch" in english and CLIENT_SERVICES_FR not in english

    asker = Person("k", "Kim", branch="Service Design Branch", branch_fr="Direction de la conception des services")
    request = ConnectRequest("r", ideas[0].id, ideas[0].reference, "Titre", ideas[0].submitter, asker, T0)
    asked = json.dumps(asked_card(Messages("fr-CA"), request), ensure_ascii=False)
    assert "Direction de la conception des services" in asked and "Service Design Branch" not in asked
    request.state = ConnectState.ACCEPTED
    accepted = json.dumps(answered_for_owner(Messages("fr-CA"), request), ensure_ascii=False)
    assert "Direction de la conception des services" in accepted


def test_the_french_digest_counts_participation_by_the_branches_french_names():
    from tests.unit.test_digest_content import digest_for_dana

    names = OrgFileDirectory.from_file(DEMO_ORG).french_branch_names
    assert names["Service Design Branch"] == "Direction de la conception des services"
    digest = digest_for_dana()
    french = json.dumps(digest_card(Messages("fr-CA"), digest, branch_names=names), ensure_ascii=False)
    assert CLIENT_SERVICES_FR in french and "Direction de la conception des services" in french
    assert "Client Services Branch" not in french
    english = json.dumps(digest_card(Messages("en-CA"), digest, branch_names=names), ensure_ascii=False)
    assert "Client Services Branch" in english and CLIENT_SERVICES_FR not in english
    assert "Client Services Branch" in json.dumps(digest_card(Messages("fr-CA"), digest)), "no names: English"
