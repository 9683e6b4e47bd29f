"""The demo organisation's people, as test users."""

from __future__ import annotations

import json

from tests.support.running_app import DEMO_ORG
from tests.support.teams_client import User

_ORG = json.loads(DEMO_ORG.read_text(encoding="utf-8"))
TENANT_ID = _ORG["tenantId"]
# The notice of collection a ministry completes before going live (required with authentication on).
NOTICE = {
    "notice_authority": "Ministry of Public and Business Service Delivery Act, s. 6",
    "notice_authority_fr": "Loi sur le ministère des Services au public et aux entreprises, art. 6",
    "notice_purpose": "To route staff ideas to the people who decide on them and run the Den challenge.",
    "notice_purpose_fr": "Acheminer les idées du personnel aux personnes qui en décident et mener le défi.",
    "notice_contact": "Manager, Innovation Office, 777 Bay St, Toronto, 416-555-0100, den@on.example",
    "notice_contact_fr": "Gestionnaire, Bureau de l’innovation, 777, rue Bay, Toronto, 416-555-0100, den@on.example",
}
# Settings that turn authentication on: a bot registered in the demo tenant (no real secret).
AUTHENTICATED = {
    "app_id": "6f1d2c3b-0000-4000-8000-000000000001",
    "app_password": "not-a-real-secret",
    "app_tenant_id": TENANT_ID,
    **NOTICE,
}
_BY_NAME = {p["name"].split()[0]: User(p["id"], p["name"]) for p in _ORG["people"] if not p.get("vacant")}

SAM = _BY_NAME["Sam"]  # staff -> Maya -> Diane -> Amir (ADM)
PRIYA = _BY_NAME["Priya"]  # staff -> (vacant manager) -> Diane -> Amir
MAYA = _BY_NAME["Maya"]  # manager
DIANE = _BY_NAME["Diane"]  # director
AMIR = _BY_NAME["Amir"]  # ADM
DANA = _BY_NAME["Dana"]  # DM

VALID_PITCH = {
    "title": "Tell us once: one address change for every program",
    "problem": "Clients who move must tell six programs separately, and 1 in 5 letters goes to an old address.",
    "solution": "One address-change form that updates every program the client is enrolled in.",
    "beneficiaries": "clients",
    "program_area": "client_services",
    "cost_band": "50k_250k",
    "people": "Service Design team; two regional offices",
    "first_steps": "Map the six programs' address fields; pilot with two programs in one region.",
}
NOAH = _BY_NAME["Noah"]  # staff -> Olivia (manager, away) -> Diane -> Amir
OLIVIA = _BY_NAME["Olivia"]  # manager, marked away in the demo org
