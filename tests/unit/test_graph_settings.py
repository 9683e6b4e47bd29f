"""Which azure-identity credential the settings choose, the Graph scope, and the User-Agent."""

from azure.identity.aio import (
    CertificateCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
)

from bot.adapters.graph_client import GraphSettings, make_credential, odata_string
from bot.settings import Settings


def test_the_most_specific_credential_is_chosen():
    base = dict(tenant_id="t", client_id="c")
    assert isinstance(make_credential(GraphSettings(**base, client_secret="s")), ClientSecretCredential)
    assert isinstance(make_credential(GraphSettings(**base, managed_identity=True)), ManagedIdentityCredential)
    assert isinstance(make_credential(GraphSettings(**base)), DefaultAzureCredential)


def test_a_certificate_is_used_when_one_is_configured(tmp_path):
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deputys-den-test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "den.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    credential = make_credential(GraphSettings(tenant_id="t", client_id="c", certificate_path=str(pem)))
    assert isinstance(credential, CertificateCredential)


def test_scope_follows_the_graph_host_for_national_clouds():
    assert GraphSettings().scope == "https://graph.microsoft.com/.default"
    assert GraphSettings(base_url="https://graph.microsoft.us/v1.0").scope == "https://graph.microsoft.us/.default"


def test_user_agent_is_sharepoint_decorated():
    assert GraphSettings(organisation="Ministry of Services").user_agent.startswith(
        "NONISV|MinistryofServices|DeputysDen/"
    )


def test_odata_literals_double_single_quotes():
    assert odata_string('Kids\' "Tell us once"') == "'Kids'' \"Tell us once\"'"


def test_settings_choose_the_store_and_directory():
    sharepoint = Settings.from_env(
        {"DEN_STORE": "sharepoint", "DEN_SHAREPOINT_SITE": "https://x.sharepoint.com/sites/den"}
    )
    assert sharepoint.uses_entra_directory and sharepoint.sharepoint_site.endswith("/sites/den")
    assert not Settings.from_env({}).uses_entra_directory
    assert Settings.from_env({"MicrosoftAppId": "app"}).graph_client_id == "app"
