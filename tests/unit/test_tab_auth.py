"""Teams tab SSO tokens: the server accepts only a token signed with a key Entra ID publishes for the
tenant, for this app, from this tenant's issuer, not expired; anything else (none at all included)
is refused. A local server publishes the OpenID metadata and keys as Entra ID does."""

from __future__ import annotations

import time

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.tab.auth import DemoSignIn, EntraKeys, EntraTokenValidator, InvalidToken, TabUser

TENANT = "8f3c2a1e-0d4b-4c6e-9a7f-1b2c3d4e5f60"
OTHER_TENANT = "11111111-2222-4333-8444-555555555555"
APP_ID = "9a8b7c6d-1111-4222-8333-444455556666"
RESOURCE = f"api://den.ministry.example/{APP_ID}"
PERSON = "a1f0c3e2-5b6d-4e7f-8a9b-0c1d2e3f4a01"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def claims(**change) -> dict:
    now = int(time.time())
    values = {
        "aud": RESOURCE, "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0", "tid": TENANT, "oid": PERSON,
        "name": "Sam Chen", "iat": now - 60, "nbf": now - 60, "exp": now + 3600, "ver": "2.0",
    }
    values.update(change)
    return {k: v for k, v in values.items() if v is not None}


def token(key=KEY, kid="key-1", **change) -> str:
    return "Bearer " + jwt.encode(claims(**change), key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
async def entra():
    """OpenID metadata and the tenant's published key set, on loopback."""
    app = web.Application()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True) | {"kid": "key-1", "use": "sig"}
    fetched = []

    async def metadata(request):
        fetched.append("metadata")
        return web.json_response({"jwks_uri": str(request.url.with_path("/keys"))})

    async def keys(request):
        fetched.append("keys")
        return web.json_response({"keys": [jwk]})

    app.router.add_get(f"/{TENANT}/v2.0/.well-known/openid-configuration", metadata)
    app.router.add_get("/keys", keys)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    authority = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    validator = EntraTokenValidator(EntraKeys(authority, TENANT), client_id=APP_ID, tenant_id=TENANT,
                                    resource=RESOURCE)
    validator.fetched = fetched
    yield validator
    await runner.cleanup()


async def test_a_valid_token_names_the_person(entra):
    user = await entra.validate(token())
    assert user == TabUser(PERSON, "Sam Chen", TENANT, member=True)


async def test_the_app_id_itself_is_an_audience_too_and_v1_issuers_are_accepted(entra):
    assert (await entra.validate(token(aud=APP_ID, iss=f"https://sts.windows.net/{TENANT}/"))).id == PERSON


async def test_the_keys_are_fetched_once_and_kept(entra):
    for _ in range(3):
        await entra.validate(token())
    assert entra.fetched == ["metadata", "keys"]


@pytest.mark.parametrize(
    "case, authorization",
    [
        ("none at all", ""),
        ("not a bearer token", "Basic c2FtOnNhbQ=="),
        ("not a JWT", "Bearer not-a-token"),
        ("wrong audience", token(aud="api://someone-else/1234")),
        ("wrong issuer", token(iss="https://login.example.com/v2.0")),
        ("another tenant's issuer", token(iss=f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0")),
        ("another tenant", token(tid=OTHER_TENANT)),
        ("signed by a key Entra ID does not publish", token(key=STRANGER)),
        ("a key id nobody published", token(kid="key-unknown")),
        ("expired", token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)),
        ("no expiry", token(exp=None)),
        ("no object id", token(oid=None)),
        ("a demo sign-in on a real tenant", f"Bearer demo:{PERSON}"),
    ],
)
async def test_a_bad_token_is_refused(entra, case, authorization):
    with pytest.raises(InvalidToken):
        await entra.validate(authorization)


async def test_a_token_with_no_signature_is_refused(entra):
    unsigned = jwt.encode(claims(), None, algorithm="none")
    with pytest.raises(InvalidToken):
        await entra.validate(f"Bearer {unsigned}")


async def test_a_guest_is_told_apart(entra):
    assert (await entra.validate(token(acct=1))).member is False
    assert (await entra.validate(token(idp="https://sts.windows.net/another-home-tenant/"))).member is False


async def test_demo_sign_in_takes_only_the_demo_people():
    demo = DemoSignIn({PERSON: TabUser(PERSON, "Sam Chen", "")})
    assert (await demo.validate(f"Bearer demo:{PERSON}")).id == PERSON
    for refused in ("", "Bearer demo:someone-else", f"Bearer {PERSON}", token()):
        with pytest.raises(InvalidToken):
            await demo.validate(refused)
