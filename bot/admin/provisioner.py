"""What provisioning does: compare the site's lists with `bot/adapters/sharepoint_schema.py`, plan the
missing lists, columns, indexes and uniqueness rules, and apply them; and explain Graph's refusals in one
sentence. The command (`python -m bot.admin.provision`) and the preflight check both use it, so it lives
apart from either and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from azure.core.exceptions import AzureError, ClientAuthenticationError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.boolean_column import BooleanColumn
from msgraph.generated.models.choice_column import ChoiceColumn
from msgraph.generated.models.column_definition import ColumnDefinition
from msgraph.generated.models.date_time_column import DateTimeColumn
from msgraph.generated.models.list_ import List_
from msgraph.generated.models.list_info import ListInfo
from msgraph.generated.models.number_column import NumberColumn
from msgraph.generated.models.text_column import TextColumn

from bot.adapters.graph_client import fresh_headers
from bot.adapters.provisioned_site import resolve_site_id
from bot.adapters.sharepoint_schema import LISTS, Column, ListSpec


@dataclass(frozen=True)
class Step:
    action: str  # create-list | add-column | index-column | unique-column | add-choices | wrong-type
    list_name: str
    column: str = ""
    detail: str = ""

    def describe(self) -> str:
        if self.action == "create-list":
            return f"create list {self.list_name} with its columns"
        if self.action == "add-column":
            return f"add column {self.list_name}.{self.column} ({self.detail})"
        if self.action == "index-column":
            return f"index column {self.list_name}.{self.column}"
        if self.action == "unique-column":
            return f"enforce unique values in {self.list_name}.{self.column}"
        if self.action == "add-choices":
            return f"add choices to {self.list_name}.{self.column}: {self.detail}"
        return f"PROBLEM: {self.list_name}.{self.column} is {self.detail}; fix it by hand (not changed)"


def column_model(column: Column) -> ColumnDefinition:
    model = ColumnDefinition(name=column.name, display_name=column.name)
    if column.kind == "text":
        model.text = TextColumn(max_length=column.max_length)
    elif column.kind == "note":
        model.text = TextColumn(allow_multiple_lines=True, lines_for_editing=6, text_type="plain")
    elif column.kind == "choice":
        model.choice = ChoiceColumn(choices=list(column.choices), display_as="dropDownMenu", allow_text_entry=False)
    elif column.kind == "number":
        model.number = NumberColumn(decimal_places="none")
    elif column.kind == "dateTime":
        model.date_time = DateTimeColumn(format="dateTime", display_as="standard")
    elif column.kind == "boolean":
        model.boolean = BooleanColumn()
    if column.indexed:
        model.indexed = True
    if column.unique:
        model.enforce_unique_values = True
    return model


def _missing_choices(column: Column, current: ColumnDefinition) -> list[str]:
    if column.kind != "choice" or current.choice is None:
        return []
    have = set(current.choice.choices or [])
    return [choice for choice in column.choices if choice not in have]


def kind_of(existing: ColumnDefinition) -> str:
    if existing.text is not None:
        return "note" if existing.text.allow_multiple_lines else "text"
    for kind, value in (
        ("choice", existing.choice),
        ("number", existing.number),
        ("dateTime", existing.date_time),
        ("boolean", existing.boolean),
    ):
        if value is not None:
            return kind
    return "another type"


NEEDS_FULLCONTROL = (
    "Graph refused to {what} (403): the app's role on this site is probably `write`, which reads and "
    "writes items but cannot create lists or columns; grant `fullcontrol` to provision, then set it back "
    "to `write` for running the app (see docs/administration.md, Microsoft Graph permissions)."
)


def explain(error: BaseException, site: str, what: str = "read the site") -> str:
    """One sentence for an administrator, instead of a traceback."""
    if isinstance(error, ClientAuthenticationError) or type(error).__name__ == "CredentialUnavailableError":
        return SIGN_IN_HELP
    status = getattr(error, "response_status_code", None)
    if status == 403:
        if what != "read the site":
            return NEEDS_FULLCONTROL.format(what=what)
        return (
            f"Graph refused to read the site {site!r} (403): grant the app a role on it (Sites.Selected: "
            "`fullcontrol` to provision, `write` to run; see docs/administration.md)."
        )
    if status == 401:
        return f"Graph refused the app's token (401) for {site!r}: check the tenant, the client id and admin consent."
    if status == 404:
        return f"Graph found no site at {site!r} (404): check the site URL or id."
    if isinstance(error, AzureError):
        return f"Could not reach Entra ID to sign in: {type(error).__name__}."
    return f"Could not {what} {site!r}: Graph answered {status or type(error).__name__}."


class Provisioner:
    def __init__(self, client: GraphServiceClient, site: str) -> None:
        self.client = client
        self.site_ref = site
        self.site = ""

    def _lists(self):
        return self.client.sites.by_site_id(self.site).lists

    async def plan(self) -> list[Step]:
        if not self.site:
            self.site = await resolve_site_id(self.client, self.site_ref)
        existing = await self._lists().get(request_configuration=RequestConfiguration(headers=fresh_headers()))
        names = {(lst.display_name or lst.name): lst for lst in (existing.value or [])}
        steps: list[Step] = []
        for spec in LISTS:
            if spec.name not in names:
                steps.append(Step("create-list", spec.name))
                continue
            columns = (
                await self._lists()
                .by_list_id(spec.name)
                .columns.get(request_configuration=RequestConfiguration(headers=fresh_headers()))
            )
            steps.extend(self._compare(spec, {c.name: c for c in (columns.value or [])}))
        return steps

    def _compare(self, spec: ListSpec, have: dict[str, ColumnDefinition]) -> list[Step]:
        steps = []
        for column in spec.columns:
            current = have.get(column.name)
            if current is None:
                steps.append(Step("add-column", spec.name, column.name, column.kind))
                continue
            if kind_of(current) != column.kind:
                steps.append(Step("wrong-type", spec.name, column.name, f"{kind_of(current)}, expected {column.kind}"))
                continue
            if column.indexed and not current.indexed:
                steps.append(Step("index-column", spec.name, column.name))
            if column.unique and not current.enforce_unique_values:
                steps.append(Step("unique-column", spec.name, column.name))
            missing = _missing_choices(column, current)
            if missing:
                steps.append(Step("add-choices", spec.name, column.name, ", ".join(missing)))
        return steps

    async def apply(self, steps: list[Step]) -> None:
        specs = {spec.name: spec for spec in LISTS}
        for step in steps:
            spec = specs[step.list_name]
            column = next((c for c in spec.columns if c.name == step.column), None)
            config = RequestConfiguration(headers=fresh_headers())
            if step.action == "create-list":
                body = List_(
                    display_name=spec.name,
                    description=spec.description,
                    list_=ListInfo(template="genericList"),
                    columns=[column_model(c) for c in spec.columns],
                )
                await self._lists().post(body, request_configuration=config)
            elif step.action == "add-column":
                await (
                    self._lists().by_list_id(spec.name).columns.post(column_model(column), request_configuration=config)
                )
            elif step.action == "add-choices":
                # A newer release added values (e.g. an idea's status "withdrawn"): the whole list is sent.
                current = (
                    await self._lists()
                    .by_list_id(spec.name)
                    .columns.by_column_definition_id(step.column)
                    .get(request_configuration=RequestConfiguration(headers=fresh_headers()))
                )
                kept = list(current.choice.choices or []) if current and current.choice else []
                change = ColumnDefinition(
                    choice=ChoiceColumn(
                        choices=kept + [c for c in column.choices if c not in kept],
                        display_as="dropDownMenu",
                        allow_text_entry=False,
                    )
                )
                await (
                    self._lists()
                    .by_list_id(spec.name)
                    .columns.by_column_definition_id(step.column)
                    .patch(change, request_configuration=config)
                )
            elif step.action in ("index-column", "unique-column"):
                change = ColumnDefinition(indexed=True)
                if step.action == "unique-column":
                    change.enforce_unique_values = True
                await (
                    self._lists()
                    .by_list_id(spec.name)
                    .columns.by_column_definition_id(step.column)
                    .patch(change, request_configuration=config)
                )


SIGN_IN_HELP = (
    "Could not sign in to Microsoft Graph: set DEN_GRAPH_CLIENT_ID, MicrosoftAppTenantId and DEN_GRAPH_CLIENT_SECRET"
    " (or DEN_GRAPH_CERTIFICATE_PATH) in .env, or run it where `az login` or a managed identity is available."
)
