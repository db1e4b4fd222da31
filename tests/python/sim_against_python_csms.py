#!/usr/bin/env python3
"""`voltgate sim` against a central system that is not Voltgate.

The central system here is a few lines of the PyPI `ocpp` package: `ocpp.v16.ChargePoint`
on the server side with `@on` handlers, served by `websockets.serve`. It is code that is not
ours, and it validates every CALL it receives against the official OCPP 1.6 JSON schemas
(`ChargePoint._handle_call` calls `validate_payload` and answers a schema violation with a
CALLERROR), so a payload Voltgate's own gateway would let through cannot hide here.

What it does:

1. starts the central system on 127.0.0.1, port 0;
2. runs the real binary: `voltgate sim --scenario sessions --count 2 ...` against it, with
   `--json`, and reads the summary line from its stdout;
3. while the chargers run, calls GetConfiguration and ChangeConfiguration on one of them (the
   package validates the answers against the schemas too);
4. checks the summary (every charger booted, no CALLERROR, no failed call, exit code 0) and
   what the central system received: per charger a BootNotification first, a
   StatusNotification for connectors 0 and 1, and complete sessions (Authorize, Preparing,
   StartTransaction, Charging, MeterValues of the assigned transaction with a growing energy
   register, StopTransaction of that transaction with meterStop >= meterStart, Finishing,
   Available).

Environment:
  VOLTGATE_BIN             the binary (default: <repo>/target/debug/voltgate)
  VOLTGATE_TEST_VERBOSE=1  print every CALL the central system receives

Ends with a line `N passed, M failed`; exits 0 only when nothing failed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

try:
    import websockets
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint as OcppChargePoint
    from ocpp.v16 import call, call_result
    from ocpp.v16.enums import (
        Action,
        AuthorizationStatus,
        ConfigurationStatus,
        RegistrationStatus,
    )
except ImportError as e:  # pragma: no cover
    print(f"sim_against_python_csms.py needs the PyPI packages ocpp and websockets: {e}", file=sys.stderr)
    print("  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install ocpp websockets", file=sys.stderr)
    sys.exit(2)

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VOLTGATE_BIN") or REPO / "target" / "debug" / "voltgate")
VERBOSE = os.environ.get("VOLTGATE_TEST_VERBOSE") == "1"

COUNT = 2
PREFIX = "PYCSMS-"
ID_TAG = "PY-SIM-TAG"
RATE = 5.0  # messages per second per charger: a session (11 messages) every 2.2 s
DURATION = 7.0  # seconds of measured phase: at least two complete sessions per charger
RUN_TIMEOUT = 90.0
HEARTBEAT_INTERVAL = 300


# --------------------------------------------------------------------------- checks


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, name: str, condition: bool, detail: object = "") -> bool:
        if condition:
            self.passed += 1
            print(f"  ok   {name}", flush=True)
        else:
            self.failed += 1
            print(f"  FAIL {name}", flush=True)
            if detail != "":
                print(f"       {detail}", flush=True)
        return condition

    def equal(self, name: str, actual: object, expected: object) -> bool:
        return self.ok(name, actual == expected, f"expected {expected!r}, got {actual!r}")


CHECKS = Checks()


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- central system


@dataclass
class Received:
    action: str
    payload: dict


@dataclass
class Csms:
    """What the central system saw, per charger identity."""

    calls: dict[str, list[Received]] = field(default_factory=dict)
    connected: dict[str, "CentralSystemSide"] = field(default_factory=dict)
    next_transaction: int = 100
    errors: list[str] = field(default_factory=list)

    def record(self, identity: str, action: str, payload: dict) -> None:
        self.calls.setdefault(identity, []).append(Received(action, payload))
        if VERBOSE:
            print(f"       {identity} >> {action} {json.dumps(payload)}", flush=True)


CSMS = Csms()


class CentralSystemSide(OcppChargePoint):
    """The package's ChargePoint on the central system's side: one per connection. The
    payloads arrive as snake_case keyword arguments, already validated by the package."""

    def _record(self, action: str, **payload) -> None:
        CSMS.record(self.id, action, payload)

    @on(Action.boot_notification)
    async def on_boot(self, charge_point_vendor, charge_point_model, **extra):
        self._record("BootNotification", charge_point_vendor=charge_point_vendor,
                     charge_point_model=charge_point_model, **extra)
        return call_result.BootNotification(
            current_time=now_iso(), interval=HEARTBEAT_INTERVAL, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    async def on_heartbeat(self):
        self._record("Heartbeat")
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    async def on_status(self, connector_id, error_code, status, **extra):
        self._record("StatusNotification", connector_id=connector_id, error_code=error_code, status=status, **extra)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag):
        self._record("Authorize", id_tag=id_tag)
        status = AuthorizationStatus.accepted if id_tag == ID_TAG else AuthorizationStatus.invalid
        return call_result.Authorize(id_tag_info={"status": status})

    @on(Action.start_transaction)
    async def on_start(self, connector_id, id_tag, meter_start, timestamp, **extra):
        CSMS.next_transaction += 1
        transaction_id = CSMS.next_transaction
        self._record("StartTransaction", connector_id=connector_id, id_tag=id_tag, meter_start=meter_start,
                     timestamp=timestamp, assigned=transaction_id, **extra)
        return call_result.StartTransaction(
            transaction_id=transaction_id, id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id, meter_value, **extra):
        self._record("MeterValues", connector_id=connector_id, meter_value=meter_value, **extra)
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop(self, meter_stop, timestamp, transaction_id, **extra):
        self._record("StopTransaction", meter_stop=meter_stop, timestamp=timestamp,
                     transaction_id=transaction_id, **extra)
        return call_result.StopTransaction(id_tag_info={"status": AuthorizationStatus.accepted})


async def on_connect(websocket) -> None:
    path = websocket.request.path
    identity = path.rstrip("/").rsplit("/", 1)[-1]
    if websocket.subprotocol != "ocpp1.6":
        CSMS.errors.append(f"{identity}: subprotocol {websocket.subprotocol!r}, not ocpp1.6")
        await websocket.close()
        return
    cp = CentralSystemSide(identity, websocket, response_timeout=15)
    CSMS.connected[identity] = cp
    try:
        await cp.start()
    except websockets.exceptions.ConnectionClosed:
        pass


# --------------------------------------------------------------------------- the run


async def run_sim(url: str) -> tuple[int | None, str, str]:
    args = [
        str(BIN), "sim",
        "--url", url,
        "--count", str(COUNT),
        "--identity-prefix", PREFIX,
        "--scenario", "sessions",
        "--rate", str(RATE),
        "--duration", str(DURATION),
        "--id-tag", ID_TAG,
        "--call-timeout", "15",
        "--json",
        "--quiet",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOLTGATE_")}
    proc = await asyncio.create_subprocess_exec(
        *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env)
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    except asyncio.TimeoutError:
        proc.kill()
        stdout, stderr = await proc.communicate()
        return None, stdout.decode(errors="replace"), stderr.decode(errors="replace")
    return proc.returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace")


async def configure_one_charger() -> None:
    """GetConfiguration and ChangeConfiguration from the central system to a running charger."""
    identity = f"{PREFIX}1"
    for _ in range(200):
        if identity in CSMS.connected and CSMS.calls.get(identity):
            break
        await asyncio.sleep(0.05)
    cp = CSMS.connected.get(identity)
    if not CHECKS.ok(f"{identity} connected to the central system", cp is not None, sorted(CSMS.connected)):
        return
    try:
        got = await cp.call(call.GetConfiguration(key=["HeartbeatInterval", "NoSuchKey"]), suppress=False)
        keys = {k["key"]: k for k in got.configuration_key or []}
        CHECKS.ok("GetConfiguration: HeartbeatInterval is known and equals the boot interval",
                  keys.get("HeartbeatInterval", {}).get("value") == str(HEARTBEAT_INTERVAL), got)
        CHECKS.equal("GetConfiguration: the unknown key is listed as unknown", got.unknown_key, ["NoSuchKey"])
        changed = await cp.call(call.ChangeConfiguration(key="MeterValueSampleInterval", value="30"), suppress=False)
        CHECKS.equal("ChangeConfiguration of a known key: Accepted", changed.status, ConfigurationStatus.accepted)
        refused = await cp.call(call.ChangeConfiguration(key="NumberOfConnectors", value="3"), suppress=False)
        CHECKS.equal("ChangeConfiguration of a read-only key: Rejected", refused.status, ConfigurationStatus.rejected)
    except Exception as e:  # noqa: BLE001  (any failure is a failed check, with its reason)
        CHECKS.ok("configuration calls answered with schema-valid CALLRESULTs", False, f"{type(e).__name__}: {e}")


def energy_of(meter_values: dict) -> int | None:
    for sample in meter_values["meter_value"][0]["sampled_value"]:
        if sample.get("measurand", "Energy.Active.Import.Register") == "Energy.Active.Import.Register":
            return int(float(sample["value"]))
    return None


def check_charger(identity: str) -> None:
    calls = CSMS.calls.get(identity, [])
    if not CHECKS.ok(f"{identity}: sent CALLs", bool(calls)):
        return
    CHECKS.equal(f"{identity}: BootNotification first", calls[0].action, "BootNotification")
    CHECKS.equal(f"{identity}: vendor and model in BootNotification",
                 (calls[0].payload["charge_point_vendor"], calls[0].payload["charge_point_model"]),
                 ("Voltgate", "SimCharger"))
    boot_statuses = [c.payload["connector_id"] for c in calls[1:3] if c.action == "StatusNotification"]
    CHECKS.equal(f"{identity}: StatusNotification for connectors 0 and 1 after booting", boot_statuses, [0, 1])

    sessions = []
    current = None
    for received in calls:
        p = received.payload
        if received.action == "StartTransaction":
            current = {"start": p, "statuses": [], "energies": [], "meter_tx": set()}
        elif current is not None and received.action == "StatusNotification":
            current["statuses"].append(p["status"])
        elif current is not None and received.action == "MeterValues":
            current["meter_tx"].add(p.get("transaction_id"))
            current["energies"].append(energy_of(p))
        elif current is not None and received.action == "StopTransaction":
            current["stop"] = p
        if current is not None and "stop" in current and current["statuses"][-1:] == ["Available"]:
            sessions.append(current)
            current = None
    tags = {c.payload["id_tag"] for c in calls if c.action == "Authorize"}
    CHECKS.equal(f"{identity}: every Authorize carries the id tag", tags, {ID_TAG})
    CHECKS.ok(f"{identity}: at least two complete sessions", len(sessions) >= 2, f"{len(sessions)} sessions")
    for n, s in enumerate(sessions, 1):
        tx = s["start"]["assigned"]
        CHECKS.equal(f"{identity} session {n}: StartTransaction on connector 1 with the id tag",
                     (s["start"]["connector_id"], s["start"]["id_tag"]), (1, ID_TAG))
        CHECKS.equal(f"{identity} session {n}: MeterValues name the assigned transaction {tx}", s["meter_tx"], {tx})
        energies = [e for e in s["energies"] if e is not None]
        CHECKS.ok(f"{identity} session {n}: the energy register never goes back",
                  len(energies) >= 2 and energies == sorted(energies), energies)
        CHECKS.equal(f"{identity} session {n}: StopTransaction of the assigned transaction",
                     s["stop"]["transaction_id"], tx)
        CHECKS.ok(f"{identity} session {n}: meterStop >= meterStart >= 0",
                  s["stop"]["meter_stop"] >= s["start"]["meter_start"] >= 0,
                  (s["start"]["meter_start"], s["stop"]["meter_stop"]))
        CHECKS.equal(f"{identity} session {n}: Charging, then Finishing and Available after the stop",
                     s["statuses"], ["Charging", "Finishing", "Available"])
    preparing = [c for c in calls if c.action == "StatusNotification" and c.payload["status"] == "Preparing"]
    CHECKS.ok(f"{identity}: Preparing before each StartTransaction", len(preparing) >= len(sessions), len(preparing))


async def main() -> int:
    step(f"a central system written with the PyPI ocpp package, and {BIN.name} sim against it")
    if not CHECKS.ok(f"the binary exists: {BIN}", BIN.exists(), "build it first: cargo build -p voltgate"):
        return 1
    async with websockets.serve(on_connect, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}/ocpp"
        print(f"  central system on {url}", flush=True)
        sim = asyncio.create_task(run_sim(url))
        await configure_one_charger()
        code, stdout, stderr = await sim

    step("the simulator's run")
    CHECKS.equal("voltgate sim exits with 0", code, 0)
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    summary = None
    if lines:
        try:
            summary = json.loads(lines[-1])
        except ValueError:
            summary = None
    if not CHECKS.ok("voltgate sim printed a JSON summary", summary is not None,
                     f"stdout: {stdout[-2000:]!r}\nstderr: {stderr[-2000:]!r}"):
        return 1
    CHECKS.equal("summary: every charger booted", summary["booted"], COUNT)
    CHECKS.equal("summary: no CALLERROR (every payload passed the package's schema validation)",
                 summary["call_errors"], 0)
    CHECKS.equal("summary: no failed call", summary["failures"], 0)
    CHECKS.equal("summary: no lost connection", summary["disconnects"], 0)
    CHECKS.ok("summary: calls were answered in the measured phase", summary["answered"] > 0, summary)
    CHECKS.equal("the central system had nothing to complain about", CSMS.errors, [])

    step("what the central system received")
    for n in range(1, COUNT + 1):
        check_charger(f"{PREFIX}{n}")
    return 0


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception:  # noqa: BLE001
        CHECKS.failed += 1
        traceback.print_exc()
    print(f"\n{CHECKS.passed} passed, {CHECKS.failed} failed", flush=True)
    sys.exit(0 if CHECKS.failed == 0 else 1)
