"""The preflight check: `python -m bot.admin.provision --check`, run by an administrator before go-live.

It tries, against the real site and directory, every Microsoft Graph behaviour the app relies
on, and prints a table of what works, with the fix for what does not:
- the site address resolves to an id (`GET /sites/{host}:/{path}`); the lists and columns are in place;
- an item can be created and read back;
- a unique-column clash is refused (whatever status it comes back with, which Microsoft does not
  document: the table shows it) and reading the key back finds one row, ours;
- an `If-Match` with a stale eTag is refused with 412;
- a `$batch` of the shape the app sends (fully sequential) works, and a refused first request
  stops the rest (424), so nothing is written after a refused update;
- requests throttled inside a `$batch` carry their own `Retry-After` and succeed when sent again
  after it (shown only if throttling happens: it cannot be forced on a real tenant);
- the manager chain of a named user (`--user`), expanded or walked level by level;
- whether the app could create lists (it should not need to at run time: `write` is enough).
Sending as the bot is not in scope: install the app in Teams for that.
Everything it creates is removed at the end, and the table says whether that worked.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.field_value_set import FieldValueSet
from msgraph.generated.models.list_ import List_
from msgraph.generated.models.list_info import ListInfo
from msgraph.generated.models.list_item import ListItem
from msgraph.generated.sites.item.lists.item.items.items_request_builder import ItemsRequestBuilder

from bot.adapters.graph_batch import BatchRunner, Request
from bot.adapters.graph_client import fresh_headers, odata_string
from bot.adapters.graph_directory import GraphDirectory, RoleRules
from bot.adapters.graph_pressure import RateLimitGauge
from bot.adapters.provisioned_site import is_site_url, resolve_site_id
from bot.adapters.sharepoint_schema import LISTS_BY_KEY
from bot.admin.provisioner import Provisioner, explain

OK, FAIL, WARN, INFO, SKIP = "ok", "FAIL", "warn", "info", "skipped"
PROBE_LIST = LISTS_BY_KEY["counters"].name  # a small list with a unique column: Name
THROTTLE_PROBE = 20  # reads in one $batch, to see whether inner throttling shows itself


@dataclass
class Finding:
    check: str
    result: str
    detail: str
    fix: str = ""


def _status(error: BaseException) -> int | None:
    return getattr(error, "response_status_code", None)


def _code(error: BaseException) -> str:
    inner = getattr(error, "error", None)
    return getattr(inner, "code", None) or ""


class Preflight:
    def __init__(self, client: GraphServiceClient, site: str, *, user: str | None = None) -> None:
        self.client = client
        self.site = site
        self.user = user
        self.site_id = ""
        self.findings: list[Finding] = []
        self.gauge = getattr(client, "rate_limit_gauge", None) or RateLimitGauge()
        self._created: list[str] = []  # probe item ids to remove
        self._lists_created: list[str] = []
        self._token = uuid.uuid4().hex[:12]

    def add(self, check: str, result: str, detail: str, fix: str = "") -> None:
        self.findings.append(Finding(check, result, detail, fix))

    @property
    def _items(self):
        return self.client.sites.by_site_id(self.site_id).lists.by_list_id(PROBE_LIST).items

    async def run(self) -> list[Finding]:
        try:
            self.site_id = await resolve_site_id(self.client, self.site)
        except (APIError, AzureError, LookupError) as error:
            self.add("Site address", FAIL, explain(error, self.site), "Check DEN_SHAREPOINT_SITE and the app's grant.")
            await self._manager_chain()
            return self.findings
        how = f"{self.site} resolves to id {self.site_id}" if is_site_url(self.site) else f"site id {self.site_id}"
        self.add("Site address", OK, how + " (the app uses the id for every request after)")

        try:
            provisioner = Provisioner(self.client, self.site_id)
            steps = await provisioner.plan()
        except (APIError, AzureError) as error:
            self.add("Lists and columns", FAIL, explain(error, self.site), "")
            steps = None
        if steps:
            missing = "; ".join(step.describe() for step in steps[:4]) + (" ..." if len(steps) > 4 else "")
            fix = "Run `python -m bot.admin.provision` with the fullcontrol role."
            self.add("Lists and columns", FAIL, missing, fix)
        elif steps is not None:
            self.add("Lists and columns", OK, "every list, column, index and uniqueness rule is in place")
        lists_ready = steps is not None and not any(s.list_name == PROBE_LIST for s in steps)
        try:
            if lists_ready:
                probe = await self._create_and_read()
                if probe is not None:
                    await self._unique_clash(probe)
                    await self._if_match(probe)
                    await self._batch_shape(probe)
                    await self._inner_throttling(probe)
            else:
                for check in ("Create and read back", "Unique-column clash", "If-Match conflict", "$batch shape",
                              "Throttling inside $batch"):
                    self.add(check, SKIP, f"the list {PROBE_LIST} is not provisioned yet")
            await self._list_rights()
        finally:
            await self._clean_up()
        self._rate_limit_headers()
        await self._manager_chain()
        self.add("Sending as the bot", SKIP, "not in scope of this check: install the app in Teams to try it")
        return self.findings

    # ---- items --------------------------------------------------------------------------
    async def _post(self, fields: dict[str, Any]) -> ListItem:
        return await self._items.post(
            ListItem(fields=FieldValueSet(additional_data=fields)),
            request_configuration=RequestConfiguration(headers=fresh_headers()),
        )

    async def _find(self, name: str) -> list[ListItem]:
        params = ItemsRequestBuilder.ItemsRequestBuilderGetQueryParameters(
            expand=["fields($select=Name,Value,WriteToken)"], filter=f"fields/Name eq {odata_string(name)}", top=5
        )
        page = await self._items.get(
            request_configuration=RequestConfiguration(query_parameters=params, headers=fresh_headers())
        )
        return list(page.value or []) if page else []

    async def _create_and_read(self) -> ListItem | None:
        name = f"preflight-{self._token}"
        try:
            created = await self._post({"Name": name, "Value": 0, "WriteToken": self._token})
            self._created.append(created.id)
            found = await self._find(name)
        except APIError as error:
            self.add("Create and read back", FAIL, f"Graph answered {_status(error)} {_code(error)}".strip(),
                     "The app needs the `write` role on the site (Sites.Selected).")
            return None
        fields = found[0].fields.additional_data if found and found[0].fields else {}
        if len(found) == 1 and fields.get("WriteToken") == self._token:
            self.add("Create and read back", OK, f"created item {created.id} in {PROBE_LIST} and found it by its key")
            return found[0]
        self.add("Create and read back", FAIL, f"created item {created.id} but a query by its key found {len(found)}",
                 f"Index {PROBE_LIST}.Name (run `python -m bot.admin.provision`).")
        return None

    async def _unique_clash(self, probe: ListItem) -> None:
        name = f"preflight-{self._token}"
        answered = "201 (accepted)"
        try:
            second = await self._post({"Name": name, "Value": 1, "WriteToken": "someone-else"})
            self._created.append(second.id)
        except APIError as error:
            answered = f"HTTP {_status(error)}" + (f" ({_code(error)})" if _code(error) else "")
        rows = await self._find(name)
        ours = [r for r in rows if (r.fields.additional_data if r.fields else {}).get("WriteToken") == self._token]
        if len(rows) == 1 and ours:
            self.add("Unique-column clash", OK, f"a duplicate was refused with {answered}; reading the key back "
                     "finds one row, ours (the app settles every clash this way, whatever the status)")
        else:
            self.add("Unique-column clash", FAIL, f"a duplicate was answered {answered} and {len(rows)} rows now "
                     "share the key", f"Run `python -m bot.admin.provision`: it restores {PROBE_LIST}.Name's "
                     "uniqueness rule.")

    async def _if_match(self, probe: ListItem) -> None:
        fields = self._items.by_list_item_id(probe.id).fields
        try:
            await fields.patch(FieldValueSet(additional_data={"Value": 2}),
                               request_configuration=RequestConfiguration(headers=fresh_headers(If_Match=probe.e_tag)))
        except APIError as error:
            self.add("If-Match conflict", FAIL, f"an update with the current eTag was answered {_status(error)}",
                     "The app needs the `write` role on the site.")
            return
        try:
            await fields.patch(FieldValueSet(additional_data={"Value": 3}),
                               request_configuration=RequestConfiguration(headers=fresh_headers(If_Match=probe.e_tag)))
        except APIError as error:
            if _status(error) == 412:
                self.add("If-Match conflict", OK, "an update with a stale eTag was refused with 412")
                return
            self.add("If-Match conflict", FAIL, f"a stale eTag was answered {_status(error)}, not 412",
                     "Report it: the app detects concurrent approvals by 412.")
            return
        self.add("If-Match conflict", FAIL, "an update with a stale eTag was accepted: concurrent approvals could "
                 "both win", "Report it to Microsoft support; do not run two app instances meanwhile.")

    async def _batch_shape(self, probe: ListItem) -> None:
        runner = BatchRunner(self.client, self.gauge)
        current = (await self._find(f"preflight-{self._token}"))[0]
        path = f"/sites/{self.site_id}/lists/{PROBE_LIST}/items"
        good = [
            Request("1", "PATCH", f"{path}/{current.id}/fields", {"Value": 4}, {"If-Match": current.e_tag}),
            Request("2", "POST", path, {"fields": {"Name": f"preflight-{self._token}-b", "WriteToken": self._token}}),
            Request("3", "POST", path, {"fields": {"Name": f"preflight-{self._token}-c", "WriteToken": self._token}}),
        ]
        try:
            outcome = await runner.run(good, sequential=True, deadline=time.monotonic() + 60)
            for request_id in ("2", "3"):
                if outcome.ok(request_id):
                    self._created.append(str(outcome.body[request_id].get("id")))
            stale = [
                Request("1", "PATCH", f"{path}/{current.id}/fields", {"Value": 5}, {"If-Match": current.e_tag}),
                Request("2", "POST", path, {"fields": {"Name": f"preflight-{self._token}-d"}}),
            ]
            refused = await runner.run(stale, sequential=True, deadline=time.monotonic() + 60)
            if refused.ok("2"):
                self._created.append(str(refused.body["2"].get("id")))
        except (APIError, Exception) as error:  # noqa: BLE001 - reported, never raised
            self.add("$batch shape", FAIL, f"the batch itself failed: {_status(error) or type(error).__name__}",
                     "Check that the app may call https://graph.microsoft.com/v1.0/$batch.")
            return
        statuses = [outcome.status.get(i) for i in ("1", "2", "3")]
        if statuses == [200, 201, 201] and refused.status == {"1": 412, "2": 424}:
            self.add("$batch shape", OK, "a sequential batch (update, then two creates depending on it) "
                     "answered 200, 201, 201; with a stale eTag 412 then 424: nothing written after a refused "
                     "update")
        else:
            self.add("$batch shape", FAIL, f"answered {statuses}, and with a stale eTag {refused.status}",
                     "Report it: the app writes a decision and its notifications in one sequential batch.")

    async def _inner_throttling(self, probe: ListItem) -> None:
        path = f"/sites/{self.site_id}/lists/{PROBE_LIST}/items/{probe.id}"
        reads = [Request(f"t{n}", "GET", path) for n in range(THROTTLE_PROBE)]
        runner = BatchRunner(self.client, self.gauge)
        first = await runner._send(reads, sequential=False)
        throttled = {rid: r for rid, r in first.items() if r.get("status") == 429}
        if not throttled:
            self.add("Throttling inside $batch", INFO, f"{THROTTLE_PROBE} reads in one batch were not throttled, "
                     "so this could not be tried; the app sends a throttled request again after its own "
                     "Retry-After")
            return
        with_header = [r for r in throttled.values() if any(k.lower() == "retry-after" for k in r.get("headers") or {})]
        again = [r for r in reads if r.id in throttled]
        outcome = await runner.run(again, sequential=False, deadline=time.monotonic() + 120)
        answered = sum(outcome.ok(r.id) for r in again)
        result = OK if answered == len(again) else FAIL
        self.add("Throttling inside $batch", result, f"{len(throttled)} of {THROTTLE_PROBE} reads throttled inside the "
                 f"batch (envelope 200), {len(with_header)} with their own Retry-After; sent again after it: "
                 f"{answered} answered", "" if result == OK else "Wait for the tenant's quota to refill, then run "
                 "the check again.")

    async def _list_rights(self) -> None:
        name = f"DenPreflight{self._token}"
        lists = self.client.sites.by_site_id(self.site_id).lists
        try:
            created = await lists.post(List_(display_name=name, list_=ListInfo(template="genericList")),
                                       request_configuration=RequestConfiguration(headers=fresh_headers()))
        except APIError as error:
            if _status(error) == 403:
                self.add("Provisioning rights", OK, "the app cannot create lists (role `write`): right for running; "
                         "grant `fullcontrol` only while provisioning")
            else:
                self.add("Provisioning rights", WARN, f"creating a list was answered {_status(error)}")
            return
        self._lists_created.append(created.id or name)
        self.add("Provisioning rights", WARN, "the app can create lists (role `fullcontrol` or `manage`), more than "
                 "it needs to run", "After provisioning, set the app's role on the site back to `write`.")

    async def _clean_up(self) -> None:
        left: list[str] = []
        for item_id in self._created:
            try:
                await self._items.by_list_item_id(item_id).delete(
                    request_configuration=RequestConfiguration(headers=fresh_headers())
                )
            except APIError as error:
                if _status(error) != 404:
                    left.append(f"{PROBE_LIST} item {item_id}")
        for list_id in self._lists_created:
            try:
                await self.client.sites.by_site_id(self.site_id).lists.by_list_id(list_id).delete(
                    request_configuration=RequestConfiguration(headers=fresh_headers())
                )
            except APIError:
                left.append(f"list {list_id}")
        if left:
            self.add("Clean-up", FAIL, "could not remove " + ", ".join(left), "Delete them by hand.")
        elif self._created or self._lists_created:
            removed = f"removed {len(self._created)} probe item(s) and {len(self._lists_created)} list(s)"
            self.add("Clean-up", OK, removed)

    def _rate_limit_headers(self) -> None:
        if self.gauge.readings:
            self.add("RateLimit headers", OK, f"seen (limit {self.gauge.limit}, remaining {self.gauge.remaining}): "
                     "the app slows its background work when they show up")
        else:
            self.add("RateLimit headers", INFO, "none seen: SharePoint sends them only past 80% of the app's "
                     "one-minute quota; the app slows its background work when they show up")

    async def _manager_chain(self) -> None:
        if not self.user:
            self.add("Manager chain", SKIP, "no user named", "Add --user <object id or UPN> to read someone's chain.")
            return
        directory = GraphDirectory(self.client, RoleRules.parse())
        try:
            line = await directory.line_of_management(self.user)
        except Exception as error:  # noqa: BLE001 - reported, never raised
            self.add("Manager chain", FAIL, f"Graph answered {_status(error) or type(error).__name__}",
                     "Grant the application permission User.Read.All and admin consent.")
            return
        names = " > ".join(p.name for p in line if p is not None) or "(no manager)"
        if directory.expand_refused:
            self.add("Manager chain", OK, f"$expand=manager($levels=max) refused ({directory.expand_refused}); "
                     f"walking /manager level by level works: {names}")
        else:
            self.add("Manager chain", OK, f"$expand=manager($levels=max) works: {names}")


def table(findings: list[Finding]) -> list[str]:
    width = max(len(f.check) for f in findings) + 2
    lines = [f"{'Check':<{width}}{'Result':<9}What was seen / the fix", "-" * (width + 60)]
    for f in findings:
        lines.append(f"{f.check:<{width}}{f.result:<9}{f.detail}")
        if f.fix:
            lines.append(f"{'':<{width}}{'':<9}Fix: {f.fix}")
    return lines


async def run_check(client: GraphServiceClient, site: str, *, user: str | None = None,
                    out: Callable[[str], Any] = print) -> int:
    """Print the table; exit code 1 when anything the app relies on does not work."""
    try:
        findings = await Preflight(client, site, user=user).run()
    except AzureError as error:
        out(explain(error, site))
        return 2
    for line in table(findings):
        out(line)
    failed = sum(f.result == FAIL for f in findings)
    out(f"\n{failed} problem(s)." if failed else "\nEverything the app relies on works here.")
    return 1 if failed else 0
