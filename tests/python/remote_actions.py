#!/usr/bin/env python3
"""Remote actions reach a charger that is not ours with schema-valid payloads.

The charger is the PyPI `ocpp` package's `ocpp.v16.ChargePoint` with an `@on` handler for every
CSMS-initiated OCPP 1.6 operation. The package validates each incoming CALL against its official
OCPP 1.6 JSON schemas before calling the handler (`ChargePoint._handle_call` -> `validate_payload`)
and answers a CALLERROR when it does not validate, which Voltgate's API would report as 502. So a
200 from every `POST /api/v3/chargers/{uuid}/actions/{action}` plus the fields the handler received
proves each payload is schema-valid and carries what the operator asked for.

Environment: VOLTGATE_BIN (default <repo>/target/debug/voltgate), VOLTGATE_TEST_DATABASE_URL
(default: SQLite in a temporary data dir). Ends with `N passed, M failed`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, RegistrationStatus

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("VOLTGATE_BIN", str(REPO / "target" / "debug" / "voltgate"))
passed, failed = 0, 0


def check(name: str, ok: bool, detail: object = "") -> None:
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


class Server:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="voltgate-py-actions-")
        args = [BIN, "serve", "--data-dir", self.dir, "--api-listen", "127.0.0.1:0", "--ocpp-listen", "127.0.0.1:0", "--log-format", "json"]
        if os.environ.get("VOLTGATE_TEST_DATABASE_URL"):
            args += ["--database-url", os.environ["VOLTGATE_TEST_DATABASE_URL"]]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in self.proc.stderr:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if str(record.get("message", "")).startswith("listening"):
                self.api, self.ocpp = "http://" + record["api"], "ws://" + record["ocpp"]
                break
        else:
            raise SystemExit("voltgate serve exited before listening")
        self.token = Path(self.dir, "admin-token").read_text().strip()

    def request(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.api + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Charger(ChargePoint):
    """Answers every CSMS-initiated 1.6 call and remembers what it received."""

    received: dict[str, dict]

    def remember(self, action: str, **kwargs) -> None:
        self.received[action] = kwargs

    @on(Action.remote_start_transaction)
    def remote_start(self, **kw):
        self.remember("RemoteStartTransaction", **kw)
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.remote_stop_transaction)
    def remote_stop(self, **kw):
        self.remember("RemoteStopTransaction", **kw)
        return call_result.RemoteStopTransaction(status="Accepted")

    @on(Action.reset)
    def reset(self, **kw):
        self.remember("Reset", **kw)
        return call_result.Reset(status="Accepted")

    @on(Action.unlock_connector)
    def unlock(self, **kw):
        self.remember("UnlockConnector", **kw)
        return call_result.UnlockConnector(status="Unlocked")

    @on(Action.change_availability)
    def availability(self, **kw):
        self.remember("ChangeAvailability", **kw)
        return call_result.ChangeAvailability(status="Accepted")

    @on(Action.trigger_message)
    def trigger(self, **kw):
        self.remember("TriggerMessage", **kw)
        return call_result.TriggerMessage(status="Accepted")

    @on(Action.get_configuration)
    def get_configuration(self, **kw):
        self.remember("GetConfiguration", **kw)
        return call_result.GetConfiguration(configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}])

    @on(Action.change_configuration)
    def change_configuration(self, **kw):
        self.remember("ChangeConfiguration", **kw)
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.clear_cache)
    def clear_cache(self, **kw):
        self.remember("ClearCache", **kw)
        return call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    def data_transfer(self, **kw):
        self.remember("DataTransfer", **kw)
        return call_result.DataTransfer(status="Accepted", data="pong")

    @on(Action.set_charging_profile)
    def set_profile(self, **kw):
        self.remember("SetChargingProfile", **kw)
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.clear_charging_profile)
    def clear_profile(self, **kw):
        self.remember("ClearChargingProfile", **kw)
        return call_result.ClearChargingProfile(status="Accepted")

    @on(Action.get_composite_schedule)
    def composite(self, **kw):
        self.remember("GetCompositeSchedule", **kw)
        return call_result.GetCompositeSchedule(status="Accepted", connector_id=kw["connector_id"], schedule_start="2025-01-01T00:00:00Z",
            charging_schedule={"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]})

    @on(Action.reserve_now)
    def reserve(self, **kw):
        self.remember("ReserveNow", **kw)
        return call_result.ReserveNow(status="Accepted")

    @on(Action.cancel_reservation)
    def cancel(self, **kw):
        self.remember("CancelReservation", **kw)
        return call_result.CancelReservation(status="Accepted")

    @on(Action.update_firmware)
    def firmware(self, **kw):
        self.remember("UpdateFirmware", **kw)
        return call_result.UpdateFirmware()

    @on(Action.get_diagnostics)
    def diagnostics(self, **kw):
        self.remember("GetDiagnostics", **kw)
        return call_result.GetDiagnostics(file_name="diag.zip")

    @on(Action.send_local_list)
    def local_list(self, **kw):
        self.remember("SendLocalList", **kw)
        return call_result.SendLocalList(status="Accepted")

    @on(Action.get_local_list_version)
    def local_list_version(self, **kw):
        self.remember("GetLocalListVersion", **kw)
        return call_result.GetLocalListVersion(list_version=1)


PROFILE = {"charging_profile_id": 3, "stack_level": 1, "charging_profile_purpose": "TxDefaultProfile", "charging_profile_kind": "Absolute",
           "charging_schedule": {"charging_rate_unit": "A", "start_schedule": "2025-01-01T00:00:00Z",
                                 "charging_schedule_period": [{"start_period": 0, "limit": 16.0, "number_phases": 3}, {"start_period": 1800, "limit": 10.5}]}}

# (API action, body, OCPP action, field the charger must have received, expected value)
CASES = [
    ("start", {"connector_id": 1, "id_token": "CARD-1"}, "RemoteStartTransaction", "id_tag", "CARD-1"),
    ("stop", {"transaction_id": 7}, "RemoteStopTransaction", "transaction_id", 7),
    ("reset", {"type": "hard"}, "Reset", "type", "Hard"),
    ("unlock", {"connector_id": 1}, "UnlockConnector", "connector_id", 1),
    ("change-availability", {"connector_id": 1, "type": "inoperative"}, "ChangeAvailability", "type", "Inoperative"),
    ("trigger-message", {"requested_message": "MeterValues", "connector_id": 1}, "TriggerMessage", "requested_message", "MeterValues"),
    ("get-configuration", {"keys": ["HeartbeatInterval"]}, "GetConfiguration", "key", ["HeartbeatInterval"]),
    ("change-configuration", {"key": "MeterValueSampleInterval", "value": "60"}, "ChangeConfiguration", "value", "60"),
    ("clear-cache", {}, "ClearCache", None, None),
    ("data-transfer", {"vendor_id": "com.acme", "message_id": "ping", "data": "hi"}, "DataTransfer", "vendor_id", "com.acme"),
    ("charging-profile", {"connector_id": 1, "charging_profile": PROFILE}, "SetChargingProfile", "connector_id", 1),
    ("charge-limit", {"connector_id": 1, "limit": 13}, "SetChargingProfile", "connector_id", 1),
    ("clear-charging-profile", {"id": 3}, "ClearChargingProfile", "id", 3),
    ("composite-schedule", {"connector_id": 1, "duration": 3600}, "GetCompositeSchedule", "duration", 3600),
    ("reserve", {"connector_id": 1, "id_tag": "CARD-1", "expiry_date": "2099-01-01T00:00:00Z"}, "ReserveNow", "id_tag", "CARD-1"),
    ("cancel-reservation", {"reservation_id": 1}, "CancelReservation", "reservation_id", 1),
    ("update-firmware", {"location": "https://fw.example.com/v2.bin", "retrieve_date": "2030-01-01T00:00:00Z", "retries": 2}, "UpdateFirmware", "retries", 2),
    ("get-diagnostics", {"location": "ftp://logs.example.com/upload", "start_time": "2025-01-01T00:00:00Z"}, "GetDiagnostics", "location", "ftp://logs.example.com/upload"),
    ("send-local-list", {}, "SendLocalList", "update_type", "Full"),
    ("get-local-list-version", {}, "GetLocalListVersion", None, None),
    ("restart", {}, "Reset", "type", "Soft"),
]


async def main() -> None:
    server = Server()
    try:
        status, created = server.request("POST", "/api/v3/chargers", {"identity": "PY-ACTIONS"})
        check("create charger", status == 201, created)
        uuid = created["data"]["uuid"]
        server.request("POST", "/api/v3/cards", {"uid": "CARD-1"})
        async with websockets.connect(f"{server.ocpp}/PY-ACTIONS", subprotocols=["ocpp1.6"]) as ws:
            cp = Charger("PY-ACTIONS", ws)
            cp.received = {}
            runner = asyncio.create_task(cp.start())
            boot = await cp.call(call.BootNotification(charge_point_vendor="PyPI", charge_point_model="ocpp"))
            check("boot accepted", boot.status == RegistrationStatus.accepted, boot)
            for action, body, ocpp_action, field, want in CASES:
                cp.received.pop(ocpp_action, None)
                status, answer = await asyncio.to_thread(server.request, "POST", f"/api/v3/chargers/{uuid}/actions/{action}", body)
                got = cp.received.get(ocpp_action)
                ok = status == 200 and got is not None and (field is None or got.get(field) == want)
                check(f"{action} -> {ocpp_action} (schema-valid, {field}={want!r})", ok, (status, answer, got))
            profile = cp.received.get("SetChargingProfile", {}).get("cs_charging_profiles", {})
            check("charge-limit sends a 13 A profile", profile.get("charging_schedule", {}).get("charging_schedule_period", [{}])[0].get("limit") == 13, profile)
            entries = cp.received.get("SendLocalList", {}).get("local_authorization_list", [])
            check("send-local-list carries the cards", [e.get("id_tag") for e in entries] == ["CARD-1"], entries)
            runner.cancel()
    finally:
        server.stop()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    asyncio.run(main())
