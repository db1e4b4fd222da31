#!/usr/bin/env python3
"""End-to-end test of Voltgate with a third-party OCPP 1.6J client.

The charger side is the PyPI `ocpp` package's `ocpp.v16.ChargePoint` over the
`websockets` package: code that is not ours, so a mistake in Voltgate's own
protocol types cannot hide itself by being on both sides of the test.

What it does:

1. starts `voltgate serve` on port 0 with a temporary data dir (and, when
   VOLTGATE_TEST_DATABASE_URL is set, that database; it must be fresh),
   reads the real addresses from the JSON "listening" log line and the admin
   token from <data-dir>/admin-token;
2. creates a charger and a card over the REST API (urllib only);
3. plays a full charging session with ChargePoint and checks every answer;
4. checks over the API what the server recorded (charger, connectors,
   transaction, meter values, OCPP frame log);
5. checks that an unknown identity is refused with HTTP 404 at the upgrade and
   that an unknown id tag is Invalid;
6. stops the server with SIGTERM (exit 0 within 15 s, open charger connection
   closed), restarts it on the same data and checks the transaction is kept.

Environment:
  VOLTGATE_BIN                 the binary (default: <repo>/target/debug/voltgate)
  VOLTGATE_TEST_DATABASE_URL   e.g. postgres://postgres@127.0.0.1:5432/DB (default: SQLite in the data dir)
  VOLTGATE_TEST_VERBOSE=1      print every OCPP frame and the server's log on failure in full

Ends with a line `N passed, M failed`; exits 0 only when nothing failed.

Schema validation (ocpp 2.x, ocpp/charge_point.py `ChargePoint.call`): the
outgoing CALL is validated with `validate_payload(call, ...)` and, unless the
answer is a CALLERROR, the CALLRESULT is validated with
`validate_payload(response, ...)` against the package's official OCPP 1.6 JSON
schemas (jsonschema Draft4Validator; `additionalProperties: false`, enums,
required fields, types, maxLength). Both are skipped only when
`call(..., skip_schema_validation=True)` is passed, which this test never does.
A schema-invalid answer raises an `ocpp.exceptions.OCPPError` subclass, which
fails the check of that call. `call(..., suppress=False)` makes a CALLERROR
raise too, instead of returning None. The Draft4Validator is built without a
format checker, so `date-time` fields are not checked by the package: this
test parses every `currentTime` itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

try:
    import websockets
    from ocpp.exceptions import OCPPError
    from ocpp.messages import CallResult, validate_payload
    from ocpp.routing import on  # noqa: F401  (imported to fail early if the package is odd)
    from ocpp.v16 import ChargePoint as OcppChargePoint
    from ocpp.v16 import call
    from ocpp.v16.enums import (
        AuthorizationStatus,
        ChargePointErrorCode,
        ChargePointStatus,
        Reason,
        RegistrationStatus,
    )
except ImportError as e:  # pragma: no cover
    print(f"full_session.py needs the PyPI packages ocpp and websockets: {e}", file=sys.stderr)
    print("  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install ocpp websockets", file=sys.stderr)
    sys.exit(2)

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VOLTGATE_BIN") or REPO / "target" / "debug" / "voltgate")
DATABASE_URL = os.environ.get("VOLTGATE_TEST_DATABASE_URL") or None
VERBOSE = os.environ.get("VOLTGATE_TEST_VERBOSE") == "1"

START_TIMEOUT = 60.0  # a debug build migrating a fresh PostgreSQL database on a busy 2-core machine
STOP_TIMEOUT = 15.0
CALL_TIMEOUT = 15
WRITE_SETTLE_TIMEOUT = 10.0  # heartbeats and frame logs are written in batches

VENDOR = "PyOcppVendor"
MODEL = "PyOcpp-Model-X"
FIRMWARE = "1.2.3-py"
SERIAL = "SN-PY-0001"
CARD_UID = "PYTAG" + uuid.uuid4().hex[:8].upper()
UNKNOWN_UID = "NOTACARD" + uuid.uuid4().hex[:6].upper()
METER_START = 12345
METER_STOP = METER_START + 7000


# --------------------------------------------------------------------------- checks


class CheckFailed(Exception):
    pass


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, name: str, condition: bool, detail: object = "") -> None:
        if condition:
            self.passed += 1
            print(f"  ok   {name}", flush=True)
            return
        self.failed += 1
        print(f"  FAIL {name}", flush=True)
        if detail != "":
            print(f"       {detail}", flush=True)
        raise CheckFailed(name)

    def equal(self, name: str, actual: object, expected: object) -> None:
        self.ok(name, actual == expected, f"expected {expected!r}, got {actual!r}")

    def fail(self, name: str, detail: object) -> None:
        self.ok(name, False, detail)


CHECKS = Checks()


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def fresh_time(value: object) -> bool:
    """An RFC 3339 time with an offset, within a minute of now."""
    parsed = parse_time(value)
    return parsed is not None and abs((parsed - datetime.now(timezone.utc)).total_seconds()) < 60


# --------------------------------------------------------------------------- server


class Server:
    """`voltgate serve` as a child process, its log in a file."""

    def __init__(self, data_dir: Path, database_url: str | None, log_path: Path) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.api = ""
        self.ocpp = ""
        self.token = ""

    def start(self) -> None:
        args = [
            str(BIN), "serve",
            "--data-dir", str(self.data_dir),
            "--api-listen", "127.0.0.1:0",
            "--ocpp-listen", "127.0.0.1:0",
            "--log-format", "json",
        ]
        if self.database_url:
            args += ["--database-url", self.database_url]
        # Only the flags configure it: no VOLTGATE_* from the caller (an inherited
        # VOLTGATE_AUTO_REGISTER would change the 404 check), and info level so
        # the "listening" line is logged.
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOLTGATE_")}
        env["RUST_LOG"] = "info"
        env.pop("NO_COLOR", None)
        log = open(self.log_path, "ab")
        log.write(f"---- {' '.join(args)}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=str(self.data_dir))
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            addresses = self._listening()
            if addresses:
                self.api, self.ocpp = addresses
                break
            if self.proc.poll() is not None:
                raise CheckFailed(f"server start: exited with {self.proc.returncode} before listening")
            time.sleep(0.1)
        else:
            raise CheckFailed(f"server start: no 'listening' log line within {START_TIMEOUT:.0f} s")
        token_file = self.data_dir / "admin-token"
        if not token_file.exists():
            raise CheckFailed(f"server start: {token_file} missing (is the database fresh?)")
        self.token = token_file.read_text().strip()

    def _listening(self) -> tuple[str, str] | None:
        # The JSON log line: {"message": "listening: ...", "api": "127.0.0.1:P", "ocpp": "127.0.0.1:Q", ...}.
        # The banner with the token is plain text in between: skip what is not JSON.
        # Only lines of this start (after the last "----" marker) count.
        text = self.log_path.read_text(errors="replace")
        text = text[text.rfind("\n---- ") + 1:] if "\n---- " in text else text
        for line in text.splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            fields = record.get("fields", record)  # flattened or nested, whichever tracing-subscriber used
            msg = str(fields.get("message", ""))
            if msg.startswith("listening") and fields.get("api") and fields.get("ocpp"):
                return str(fields["api"]), str(fields["ocpp"])
        return None

    def stop(self, timeout: float = STOP_TIMEOUT) -> tuple[int | None, float]:
        """SIGTERM; the exit code (None if it did not exit in time) and the seconds it took."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        if not VERBOSE:
            text = text[-lines:]
        return "---- server log" + ("" if VERBOSE else f" (last {lines} lines)") + ":\n" + "\n".join(text)

    # ---- REST API, standard library only

    def request(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        url = f"http://{self.api}/api/v3{path}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def get(self, path: str) -> object:
        status, body = self.request("GET", path)
        if status != 200:
            raise CheckFailed(f"GET {path}: HTTP {status} {body!r}")
        return body


def poll(fetch, ready, timeout: float = WRITE_SETTLE_TIMEOUT):
    """fetch() until ready(value) or timeout; the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ready(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


# --------------------------------------------------------------------------- charger


class RecordingConnection:
    """The websockets connection, with every text frame kept (for the log checks and reports)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.frames: list[tuple[str, str]] = []

    async def send(self, message: str) -> None:
        self.frames.append(("cp_to_csms", message))
        if VERBOSE:
            print(f"       >> {message}", flush=True)
        await self.ws.send(message)

    async def recv(self) -> str:
        message = await self.ws.recv()
        self.frames.append(("csms_to_cp", message))
        if VERBOSE:
            print(f"       << {message}", flush=True)
        return message

    def dump(self) -> str:
        return "\n".join(f"       {'>>' if d == 'cp_to_csms' else '<<'} {m}" for d, m in self.frames)


class ChargePoint(OcppChargePoint):
    """The package's ChargePoint, unchanged: no handlers, so any CALL from the
    central system is answered by the package itself (NotImplemented)."""


class Session:
    def __init__(self, cp: ChargePoint, conn: RecordingConnection, ws, task: asyncio.Task) -> None:
        self.cp, self.conn, self.ws, self.task = cp, conn, ws, task

    async def call(self, name: str, payload):
        """A CALL through ChargePoint.call: request and answer schema-validated, CALLERROR raises."""
        try:
            return await self.cp.call(payload, suppress=False)
        except OCPPError as e:
            CHECKS.fail(f"{name}: answered without a CALLERROR and valid against the OCPP 1.6 schema",
                        f"{type(e).__name__}: {e}\n{self.conn.dump()}")
        except asyncio.TimeoutError as e:
            CHECKS.fail(f"{name}: answered within {CALL_TIMEOUT} s", f"{e}\n{self.conn.dump()}")

    async def close(self) -> None:
        await self.ws.close()
        self.task.cancel()
        try:
            await self.task
        except (asyncio.CancelledError, websockets.exceptions.ConnectionClosed):
            pass


async def connect(server: Server, identity: str) -> Session:
    url = f"ws://{server.ocpp}/ocpp/{identity}"  # any prefix before the identity is allowed
    ws = await websockets.connect(url, subprotocols=["ocpp1.6"], open_timeout=15)
    CHECKS.equal(f"WebSocket to {url}: subprotocol ocpp1.6 selected", ws.subprotocol, "ocpp1.6")
    conn = RecordingConnection(ws)
    cp = ChargePoint(identity, conn, response_timeout=CALL_TIMEOUT)
    task = asyncio.create_task(cp.start())
    return Session(cp, conn, ws, task)


def status_notification(connector: int, status: ChargePointStatus):
    return call.StatusNotification(
        connector_id=connector,
        error_code=ChargePointErrorCode.no_error,
        status=status,
        timestamp=now_iso(),
    )


def periodic_sample(energy_wh: int, transaction_id: int) -> dict:
    sampled = [
        {"value": str(energy_wh), "context": "Sample.Periodic", "measurand": "Energy.Active.Import.Register",
         "location": "Outlet", "unit": "Wh"},
        {"value": "11040", "context": "Sample.Periodic", "measurand": "Power.Active.Import", "location": "Outlet", "unit": "W"},
    ]
    for phase, amps in (("L1", "16.0"), ("L2", "15.9"), ("L3", "16.1")):
        sampled.append({"value": amps, "context": "Sample.Periodic", "measurand": "Current.Import", "phase": phase,
                        "location": "Outlet", "unit": "A"})
    sampled.append({"value": "230.4", "context": "Sample.Periodic", "measurand": "Voltage", "phase": "L1-N",
                    "location": "Outlet", "unit": "V"})
    # "Celcius" (sic): the official 1.6 schema lists this misspelling next to "Celsius", and real chargers send it.
    sampled.append({"value": "31.5", "context": "Sample.Periodic", "measurand": "Temperature", "location": "Body",
                    "unit": "Celcius"})
    return {"timestamp": now_iso(), "sampledValue": sampled}


# --------------------------------------------------------------------------- the test


async def check_validation_is_on() -> None:
    """The package's response validation really rejects a bad answer (guards against a
    package version that stops validating, or a global switch turned off)."""
    step("the ocpp package validates answers")
    bad = CallResult(unique_id="1", payload={"status": "Accepted", "currentTime": now_iso()}, action="BootNotification")
    try:
        await validate_payload(bad, "1.6")
        rejected = None
    except OCPPError as e:
        rejected = e
    CHECKS.ok("a BootNotification CALLRESULT without interval is rejected by ocpp.messages.validate_payload",
              rejected is not None, "validation accepted it: schema validation is off")


async def first_session(server: Server, identity: str, charger_uuid: str) -> tuple[int, Session]:
    step(f"session 1: charger {identity} with card {CARD_UID}")
    s = await connect(server, identity)

    boot = await s.call("BootNotification", call.BootNotification(
        charge_point_vendor=VENDOR, charge_point_model=MODEL, firmware_version=FIRMWARE,
        charge_point_serial_number=SERIAL))
    CHECKS.equal("BootNotification: status Accepted", boot.status, RegistrationStatus.accepted)
    CHECKS.ok("BootNotification: interval is a positive integer",
              isinstance(boot.interval, int) and boot.interval > 0, f"interval {boot.interval!r}")
    CHECKS.ok("BootNotification: currentTime is RFC 3339 and current", fresh_time(boot.current_time),
              f"currentTime {boot.current_time!r}")

    for connector in (0, 1):
        result = await s.call(f"StatusNotification {connector} Available",
                              status_notification(connector, ChargePointStatus.available))
        CHECKS.ok(f"StatusNotification connector {connector} Available: answered", result is not None)

    auth = await s.call("Authorize", call.Authorize(id_tag=CARD_UID))
    CHECKS.equal("Authorize known card: Accepted", auth.id_tag_info.get("status"), AuthorizationStatus.accepted)

    await s.call("StatusNotification Preparing", status_notification(1, ChargePointStatus.preparing))
    CHECKS.ok("StatusNotification connector 1 Preparing: answered", True)

    start = await s.call("StartTransaction", call.StartTransaction(
        connector_id=1, id_tag=CARD_UID, meter_start=METER_START, timestamp=now_iso()))
    CHECKS.equal("StartTransaction: idTagInfo Accepted", start.id_tag_info.get("status"), AuthorizationStatus.accepted)
    tx = start.transaction_id
    CHECKS.ok("StartTransaction: a positive transactionId", isinstance(tx, int) and tx > 0, f"transactionId {tx!r}")
    print(f"       transaction {tx}", flush=True)

    await s.call("StatusNotification Charging", status_notification(1, ChargePointStatus.charging))
    CHECKS.ok("StatusNotification connector 1 Charging: answered", True)

    await s.call("MeterValues", call.MeterValues(
        connector_id=1, transaction_id=tx, meter_value=[periodic_sample(METER_START + 3500, tx)]))
    CHECKS.ok("MeterValues (energy, power, current L1-L3, voltage, Celcius temperature): answered", True)

    hb = await s.call("Heartbeat", call.Heartbeat())
    CHECKS.ok("Heartbeat: currentTime is RFC 3339 and current", fresh_time(hb.current_time), f"currentTime {hb.current_time!r}")

    stop = await s.call("StopTransaction", call.StopTransaction(
        meter_stop=METER_STOP, timestamp=now_iso(), transaction_id=tx, reason=Reason.ev_disconnected,
        id_tag=CARD_UID,
        transaction_data=[
            {"timestamp": now_iso(), "sampledValue": [
                {"value": str(METER_STOP), "context": "Transaction.End", "measurand": "Energy.Active.Import.Register",
                 "location": "Outlet", "unit": "Wh"}]},
        ]))
    CHECKS.ok("StopTransaction: idTagInfo Accepted (or absent)",
              stop.id_tag_info is None or stop.id_tag_info.get("status") == AuthorizationStatus.accepted,
              f"idTagInfo {stop.id_tag_info!r}")

    await s.call("StatusNotification Finishing", status_notification(1, ChargePointStatus.finishing))
    await s.call("StatusNotification Available", status_notification(1, ChargePointStatus.available))
    CHECKS.ok("StatusNotification connector 1 Finishing, Available: answered", True)
    return tx, s


def check_recorded(server: Server, charger_uuid: str, tx: int, s: Session) -> None:
    step("what the API shows while the charger is still connected")
    charger = poll(lambda: server.get(f"/chargers/{charger_uuid}")["data"],
                   lambda c: c.get("last_heartbeat_at") is not None)
    CHECKS.equal("charger connection_status online", charger.get("connection_status"), "online")
    CHECKS.equal("charger vendor from the boot", charger.get("vendor"), VENDOR)
    CHECKS.equal("charger model from the boot", charger.get("model"), MODEL)
    CHECKS.equal("charger firmware_version from the boot", charger.get("firmware_version"), FIRMWARE)
    CHECKS.ok("charger last_heartbeat_at set", parse_time(charger.get("last_heartbeat_at")) is not None,
              f"last_heartbeat_at {charger.get('last_heartbeat_at')!r}")
    connectors = {c.get("connector_id"): c for c in charger.get("connectors") or []}
    CHECKS.ok("charger lists connector 1", 1 in connectors, f"connectors {charger.get('connectors')!r}")
    CHECKS.equal("connector 1 status Available", connectors[1].get("status"), "Available")

    listed = server.get(f"/chargers/{charger_uuid}/transactions")
    ids = [t.get("id") for t in listed.get("data", [])]
    CHECKS.ok(f"charger's transactions list {tx}", tx in ids, f"ids {ids!r}")

    t = server.get(f"/transactions/{tx}")["data"]
    CHECKS.equal("transaction status finished", t.get("status"), "finished")
    CHECKS.equal("transaction meter_start", t.get("meter_start"), METER_START)
    CHECKS.equal("transaction meter_stop", t.get("meter_stop"), METER_STOP)
    CHECKS.equal("transaction total_kwh", t.get("total_kwh"), "7.00")
    CHECKS.equal("transaction stop_reason", t.get("stop_reason"), "EVDisconnected")
    CHECKS.equal("transaction id_tag", t.get("id_tag"), CARD_UID)
    CHECKS.equal("transaction connector_id", t.get("connector_id"), 1)
    CHECKS.equal("transaction charger uuid", t.get("charger_uuid"), charger_uuid)

    mv = server.get(f"/chargers/{charger_uuid}/metervalues?per_page=100")["data"]
    def has(measurand, unit, value=None, phase=None, context=None):
        return any(m.get("measurand") == measurand and m.get("unit") == unit
                   and (value is None or m.get("value") == value)
                   and (phase is None or m.get("phase") == phase)
                   and (context is None or m.get("context") == context) for m in mv)
    brief = [(m.get("measurand"), m.get("phase"), m.get("value"), m.get("unit"), m.get("context")) for m in mv]
    CHECKS.ok("meter values: Temperature 31.5 in Celcius", has("Temperature", "Celcius", "31.5"), brief)
    CHECKS.ok("meter values: Energy.Active.Import.Register Wh", has("Energy.Active.Import.Register", "Wh", str(METER_START + 3500)), brief)
    CHECKS.ok("meter values: Power.Active.Import W", has("Power.Active.Import", "W", "11040"), brief)
    CHECKS.ok("meter values: Current.Import L1, L2, L3",
              all(has("Current.Import", "A", phase=p) for p in ("L1", "L2", "L3")), brief)
    CHECKS.ok("meter values: Voltage L1-N", has("Voltage", "V", "230.4", phase="L1-N"), brief)
    CHECKS.ok("meter values: StopTransaction transactionData (Transaction.End)",
              has("Energy.Active.Import.Register", "Wh", str(METER_STOP), context="Transaction.End"), brief)
    CHECKS.ok("meter values: tied to the transaction",
              all(m.get("transaction_id") == tx for m in mv if m.get("measurand") == "Temperature"), brief)

    # Every frame of the session, both ways, by message id: our CALLs and the server's CALLRESULTs.
    sent = {}
    for direction, text in s.conn.frames:
        frame = json.loads(text)
        if direction == "cp_to_csms" and frame[0] == 2:
            sent[frame[1]] = frame[2]
    def fetch_logs():
        return server.get(f"/chargers/{charger_uuid}/logs?per_page=100")["data"]
    def complete(logs):
        ids_in = {l.get("message_id") for l in logs if l.get("direction") == "cp_to_csms" and l.get("message_type") == 2}
        ids_out = {l.get("message_id") for l in logs if l.get("direction") == "csms_to_cp" and l.get("message_type") == 3}
        return set(sent) <= ids_in and set(sent) <= ids_out
    logs = poll(fetch_logs, complete)
    brief = [(l.get("direction"), l.get("message_type"), l.get("action"), l.get("message_id")) for l in logs]
    calls_in = {l.get("message_id"): l for l in logs if l.get("direction") == "cp_to_csms" and l.get("message_type") == 2}
    results_out = {l.get("message_id"): l for l in logs if l.get("direction") == "csms_to_cp" and l.get("message_type") == 3}
    CHECKS.ok(f"logs: all {len(sent)} CALLs of the charger (cp_to_csms)", set(sent) <= set(calls_in),
              f"missing {sorted(set(sent) - set(calls_in))}\n{brief}")
    CHECKS.ok(f"logs: all {len(sent)} CALLRESULTs of the server (csms_to_cp)", set(sent) <= set(results_out),
              f"missing {sorted(set(sent) - set(results_out))}\n{brief}")
    CHECKS.ok("logs: each CALL logged with its action",
              all(calls_in[i].get("action") == a for i, a in sent.items()),
              [(i, a, calls_in[i].get("action")) for i, a in sent.items()])
    wire = {text for _, text in s.conn.frames}
    CHECKS.ok("logs: payloads are the frames as they travelled",
              all(calls_in[i].get("payload") in wire and results_out[i].get("payload") in wire for i in sent),
              [(calls_in[i].get("payload"), results_out[i].get("payload")) for i in sent if
               calls_in[i].get("payload") not in wire or results_out[i].get("payload") not in wire][:3])


async def check_unknown_identity(server: Server) -> None:
    step("an unknown identity is refused at the upgrade")
    identity = "PY-UNKNOWN-" + uuid.uuid4().hex[:8]
    url = f"ws://{server.ocpp}/ocpp/{identity}"
    status = None
    try:
        ws = await websockets.connect(url, subprotocols=["ocpp1.6"], open_timeout=15)
        await ws.close()
        status = "upgraded (101)"
    except websockets.exceptions.InvalidStatus as e:  # websockets >= 14
        status = e.response.status_code
    except getattr(websockets.exceptions, "InvalidStatusCode", ()) as e:  # older websockets
        status = e.status_code
    CHECKS.equal(f"unknown identity {identity}: HTTP 404 at the upgrade", status, 404)


async def second_session(server: Server, identity: str) -> Session:
    step(f"session 2: the same charger, unknown id tag {UNKNOWN_UID}")
    s = await connect(server, identity)
    boot = await s.call("BootNotification (2)", call.BootNotification(charge_point_vendor=VENDOR, charge_point_model=MODEL))
    CHECKS.equal("BootNotification (2): status Accepted", boot.status, RegistrationStatus.accepted)
    auth = await s.call("Authorize unknown", call.Authorize(id_tag=UNKNOWN_UID))
    CHECKS.equal("Authorize unknown id tag: Invalid", auth.id_tag_info.get("status"), AuthorizationStatus.invalid)
    return s


async def wait_closed(s: Session, timeout: float) -> tuple[bool, object]:
    """Whether the server closed the connection within timeout, and its close code."""
    try:
        await asyncio.wait_for(s.ws.wait_closed(), timeout)
    except asyncio.TimeoutError:
        return False, None
    rcvd = getattr(s.ws, "close_rcvd", None)
    s.task.cancel()
    try:
        await s.task
    except BaseException:  # noqa: BLE001  (ConnectionClosed, CancelledError)
        pass
    return True, rcvd.code if rcvd is not None else getattr(s.ws, "close_code", None)


async def run(tmp: Path) -> None:
    log_path = tmp / "server.log"
    data_dir = tmp / "data"
    data_dir.mkdir()
    server = Server(data_dir, DATABASE_URL, log_path)
    restarted: Server | None = None
    try:
        await check_validation_is_on()
        step(f"starting {BIN} on {'SQLite' if not DATABASE_URL else DATABASE_URL.split('@')[-1]}")
        if not BIN.exists():
            CHECKS.fail("voltgate binary exists", f"{BIN} not found: run `cargo build -p voltgate` or set VOLTGATE_BIN")
        server.start()
        CHECKS.ok(f"server listening: API {server.api}, OCPP {server.ocpp}; admin token read", bool(server.token))

        step("REST API: create a charger and a card")
        identity = "PY-CP-" + uuid.uuid4().hex[:8].upper()
        status, body = server.request("POST", "/chargers", {"identity": identity, "reference": "python ocpp e2e"})
        CHECKS.equal(f"POST /chargers {identity}: 201", status, 201)
        charger = body["data"]
        charger_uuid = charger["uuid"]
        CHECKS.equal("new charger connection_status never_seen", charger.get("connection_status"), "never_seen")
        status, body = server.request("POST", "/cards", {"uid": CARD_UID})
        CHECKS.ok(f"POST /cards {CARD_UID}: 201", status == 201, f"HTTP {status} {body!r}")

        tx, s1 = await first_session(server, identity, charger_uuid)
        # In a thread, so the charger's event loop (pings, close handshakes) keeps running.
        await asyncio.to_thread(check_recorded, server, charger_uuid, tx, s1)
        await s1.close()

        await check_unknown_identity(server)
        s2 = await second_session(server, identity)

        step("SIGTERM with a charger connected")
        code, took = await asyncio.to_thread(server.stop)
        CHECKS.ok(f"server exited within {STOP_TIMEOUT:.0f} s of SIGTERM ({took:.1f} s)", code is not None)
        CHECKS.equal("server exit code 0", code, 0)
        closed, close_code = await wait_closed(s2, 5)
        CHECKS.ok("open charger connection closed by the server", closed)
        CHECKS.equal("close code 1001 (going away)", close_code, 1001)

        step("restart on the same data")
        restarted = Server(data_dir, DATABASE_URL, log_path)
        restarted.start()
        CHECKS.ok(f"server restarted: API {restarted.api}, OCPP {restarted.ocpp}", True)
        t = restarted.get(f"/transactions/{tx}")["data"]
        CHECKS.equal("after restart: transaction finished", t.get("status"), "finished")
        CHECKS.equal("after restart: meter_start", t.get("meter_start"), METER_START)
        CHECKS.equal("after restart: meter_stop", t.get("meter_stop"), METER_STOP)
        CHECKS.equal("after restart: total_kwh", t.get("total_kwh"), "7.00")
        CHECKS.equal("after restart: stop_reason", t.get("stop_reason"), "EVDisconnected")
        c = restarted.get(f"/chargers/{charger_uuid}")["data"]
        CHECKS.equal("after restart: charger offline", c.get("connection_status"), "offline")
        code, took = await asyncio.to_thread(restarted.stop)
        CHECKS.ok(f"restarted server exited within {STOP_TIMEOUT:.0f} s of SIGTERM ({took:.1f} s)", code is not None)
        CHECKS.equal("restarted server exit code 0", code, 0)
    except CheckFailed as e:
        # A check already printed FAIL; a message here is a failure outside a check (start-up, HTTP).
        if CHECKS.failed == 0:
            CHECKS.failed += 1
            print(f"  FAIL {e}", flush=True)
        if server.proc is not None:
            print(server.log_tail(), flush=True)  # one file for both starts: its tail is the latest
    except Exception:  # noqa: BLE001
        CHECKS.failed += 1
        print("  FAIL unexpected error:", flush=True)
        traceback.print_exc()
        print(server.log_tail(), flush=True)
    finally:
        for srv in (server, restarted):
            if srv is not None:
                srv.kill()


def main() -> int:
    print(f"full_session.py: ocpp {_version('ocpp')}, websockets {_version('websockets')}, binary {BIN}", flush=True)
    with tempfile.TemporaryDirectory(prefix="voltgate-e2e-") as tmp:
        try:
            asyncio.run(asyncio.wait_for(run(Path(tmp)), timeout=300))
        except asyncio.TimeoutError:
            CHECKS.failed += 1
            print("  FAIL the whole test did not finish within 300 s", flush=True)
    print()
    print(f"{CHECKS.passed} passed, {CHECKS.failed} failed", flush=True)
    return 0 if CHECKS.failed == 0 else 1


def _version(package: str) -> str:
    try:
        from importlib.metadata import version
        return version(package)
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    sys.exit(main())
