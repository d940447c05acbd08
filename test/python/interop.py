"""MADSci's own Python EventClient, unchanged, against a lab-events server.

Usage: python interop.py <server-url> <run-tag> [--expect-utilization] [--expect-lifecycle] [--expect-backup]

Logs through both of the client's paths (structured logging and log(Event(...))), reads back with
get_event / get_events / query_events, calls the utilization (and, when present, archive and
backup) methods, and asserts what comes back. Prints one JSON summary line last; exits 1 on the
first failed check.
"""

import json
import sys
import tempfile
import time
from datetime import datetime

import httpx
from madsci.client.event_client import EventClient
from madsci.common.types.auth_types import OwnershipInfo
from madsci.common.types.event_types import (
    Event,
    EventClientConfig,
    EventLogLevel,
    EventType,
)

BASE_URL = sys.argv[1]
RUN = sys.argv[2]
EXPECT_UTILIZATION = "--expect-utilization" in sys.argv
EXPECT_LIFECYCLE = "--expect-lifecycle" in sys.argv
EXPECT_BACKUP = "--expect-backup" in sys.argv

NODE = "01JGZ8Q5T30000000000000N01"
WORKCELL = "01JGZ8Q5T3000000000000WC01"
WORKFLOW = "01JGZ8Q5T3000000000000WF01"
USER = "01JGZ8Q5T3000000000000XSR1"

checks = 0
notes = []


def check(condition, message):
    """Counts a check; stops the script on the first failure."""
    global checks
    checks += 1
    if not condition:
        print(f"CHECK FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def wait_for(selector, count, what, timeout=30.0):
    """Polls query_events until `count` events match (the client sends in background threads)."""
    deadline = time.monotonic() + timeout
    while True:
        found = client.query_events(selector)
        if len(found) >= count or time.monotonic() > deadline:
            check(len(found) == count, f"{what}: expected {count} events, found {len(found)}: {list(found)}")
            return found
        time.sleep(0.1)


client = EventClient(
    config=EventClientConfig(
        name="lab_events_interop",
        event_server_url=BASE_URL,
        log_dir=tempfile.mkdtemp(prefix="madsci-interop-logs-"),
        source=OwnershipInfo(node_id=NODE),
    )
)

# --- Structured logging: top-level type from the level, keywords land in event_data. ---
client.info("arm online", run=RUN, step=1, workflow_id=WORKFLOW)
client.warning("reagent low", run=RUN, reagent="buffer A", remaining_ml=5.5)
client.error("pump jammed", run=RUN, code=7, event_type="node_error")
client.debug("below the client's level, never sent", run=RUN)
client.alert("door open", run=RUN)  # the client sends an alert twice (two ids)

# --- log(Event(...)) with domain types, own sources and naive timestamps. ---
T0 = datetime(2025, 1, 6, 8, 0, 0)
start = Event(
    event_type=EventType.WORKCELL_START,
    event_timestamp=T0,
    source=OwnershipInfo(workcell_id=WORKCELL),
    event_data={"run": RUN, "name": "wc-1", "settings": {"nodes": ["arm", "pump"]}},
)
complete = Event(
    event_type=EventType.WORKFLOW_COMPLETE,
    log_level=EventLogLevel.INFO,
    event_timestamp=datetime(2025, 1, 6, 8, 30, 0, 250000),
    source=OwnershipInfo(workcell_id=WORKCELL, workflow_id=WORKFLOW, user_id=USER),
    event_data={
        "run": RUN,
        "workflow_id": WORKFLOW,
        "name": "titration",
        "status": "completed",
        "author": "ada",
        "duration_seconds": 600.0,
        "start_time": "2025-01-06T08:20:00",
        "end_time": "2025-01-06T08:30:00",
        "step_count": 3,
    },
)
# Microseconds below the millisecond: the server keeps instants to the millisecond.
stop = Event(
    event_type=EventType.WORKCELL_STOP,
    event_timestamp=datetime(2025, 1, 6, 10, 0, 0, 123456),
    source=OwnershipInfo(workcell_id=WORKCELL),
    event_data={"run": RUN},
)
for event in (start, complete, stop):
    client.log(event)
client.log(start)  # a retry of the same id: stored once

everything = wait_for({"event_data.run": RUN}, 8, "all events of the run")

# --- get_event: the domain events come back equal to what was sent. ---
got_start = client.get_event(start.event_id)
check(got_start == start, f"workcell_start read back unchanged: {got_start!r} != {start!r}")
got_complete = client.get_event(complete.event_id)
check(got_complete == complete, "workflow_complete read back unchanged")
check(got_complete.source.user_id == USER and got_complete.source.node_id is None, "source members kept, absent ones null")
got_stop = client.get_event(stop.event_id)
check(got_stop.event_type == EventType.WORKCELL_STOP, "workcell_stop type")
check(got_stop.event_timestamp == stop.event_timestamp.replace(microsecond=123000), f"timestamp to the millisecond: {got_stop.event_timestamp}")
check(got_stop.archived is False and got_stop.archived_at is None, "not archived")
try:
    client.get_event("01JGZ8Q5T3000000000000NONE")
    check(False, "get_event of an unknown id raises")
except httpx.HTTPStatusError as error:
    check(error.response.status_code == 404, "unknown id is a 404")
    check(error.response.json() == {"detail": "Event with ID 01JGZ8Q5T3000000000000NONE not found"}, "404 body is MADSci's")

# --- Structured events, found by message. ---
by_message = {e.event_data.get("message"): e for e in everything.values() if isinstance(e.event_data, dict)}
info = by_message["arm online"]
check(info.event_type == EventType.LOG_INFO and info.log_level == EventLogLevel.INFO, "info: type and level")
check(info.event_data == {"message": "arm online", "run": RUN, "step": 1, "workflow_id": WORKFLOW}, f"info: data {info.event_data}")
check(info.source == OwnershipInfo(node_id=NODE), "info: the client's source")
check(info.alert is False, "info: no alert")
warning = by_message["reagent low"]
check(warning.event_type == EventType.LOG_WARNING and warning.log_level == EventLogLevel.WARNING, "warning: type and level")
check(warning.event_data["remaining_ml"] == 5.5 and warning.event_data["reagent"] == "buffer A", "warning: keywords")
error = by_message["pump jammed"]
check(error.event_type == EventType.LOG_ERROR and error.log_level == EventLogLevel.ERROR, "error: type and level")
check(error.event_data["event_type"] == "node_error" and error.event_data["code"] == 7, "error: keywords, event_type inside event_data")
check("below the client's level, never sent" not in by_message, "debug below the client's level not sent")
alerts = [e for e in everything.values() if e.alert]
check(len(alerts) == 2 and all(e.log_level == EventLogLevel.CRITICAL for e in alerts), "alert: two critical alert events")
check(all(e.event_type == EventType.LOG_CRITICAL for e in alerts), "alert: log_critical")

# --- get_events: newest first, level threshold, number. ---
recent = client.get_events()  # number=100, level = the client's effective level (INFO)
check(len(recent) == 8, f"get_events(): 8 events at INFO or above, got {len(recent)}")
stamps = [e.event_timestamp for e in recent.values()]
check(stamps == sorted(stamps, reverse=True), "get_events: newest first")
check(all(key == e.event_id for key, e in recent.items()), "get_events: keyed by id")
serious = client.get_events(number=100, level=EventLogLevel.WARNING.value)
check({e.log_level for e in serious.values()} <= {30, 40, 50} and len(serious) == 4, f"get_events(level=30): {len(serious)}")
check(len(client.get_events(number=2, level=0)) == 2, "get_events(number=2)")

# --- query_events: the selector travels in the query string (docs/madsci-compatibility.md#d9-raw-selectors). ---
high = client.query_events({"event_data.run": RUN, "log_level": {"$gte": 40}})
check(set(high) == {error.event_id, *(e.event_id for e in alerts)}, "query_events with $gte")
cells = client.query_events({"event_type": {"$in": ["workcell_start", "workcell_stop"]}, "event_data.run": RUN})
check(set(cells) == {start.event_id, stop.event_id}, "query_events with $in")
later = client.query_events({"event_timestamp": {"$gte": "2025-01-06T08:30:00", "$lt": "2025-01-07T00:00:00"}, "event_data.run": RUN})
check(set(later) == {complete.event_id, stop.event_id}, "query_events on event_timestamp with ISO strings")
nested = client.query_events({"$or": [{"event_data.reagent": "buffer A"}, {"event_data.code": 7}], "source.node_id": NODE})
check(set(nested) == {warning.event_id, error.event_id}, "query_events with $or and a source member")
try:
    client.query_events({"$where": "sleep(1000)"})
    check(False, "a forbidden operator is refused")
except httpx.HTTPStatusError as refused:
    check(refused.response.status_code == 422, "forbidden operator: 422")

# --- Utilization calls (MADSci's paths, /utilization/users plural). ---
window = {"start_time": "2025-01-06T00:00:00Z", "end_time": "2025-01-07T00:00:00Z"}
sessions = client.get_session_utilization(**window)
periods = client.get_utilization_periods(analysis_type="daily", user_timezone="UTC", **window)
users = client.get_user_utilization_report(**window)
if EXPECT_UTILIZATION:
    for name, report in (("sessions", sessions), ("periods", periods), ("users", users)):
        check(isinstance(report, dict) and "error" not in report, f"utilization {name}: a report, got {str(report)[:300]}")
    workcell_sessions = [s for s in sessions["session_details"] if s.get("session_type") == "workcell"]
    check(len(workcell_sessions) == 1, f"one workcell session (start 08:00, stop 10:00): {sessions['session_details']}")
    check(workcell_sessions[0]["start_time"].startswith("2025-01-06T08:00:00"), "the session starts at the workcell_start")
    check("ada" in json.dumps(users), "the user report names the workflow's author")
    csv_text = client.get_session_utilization(csv_export=True, **window)
    check(isinstance(csv_text, str) and "\r\n" in csv_text, "csv_export returns MADSci's CSV text")
    notes.append("utilization reports returned")
else:
    # Without the analytics routes the client turns the 404 into None, as for any HTTP error.
    for name, report in (("sessions", sessions), ("periods", periods), ("users", users)):
        check(report is None or isinstance(report, dict), f"utilization {name}: None or a JSON object")
    notes.append(f"utilization routes absent: sessions={sessions!r} periods={periods!r} users={users!r}")

# --- Archive, purge, backup (client 0.8.1 has them; the server's routes may not exist yet). ---
if EXPECT_LIFECYCLE:
    archived = client.archive_events(event_ids=[stop.event_id])
    check(archived.get("archived_count") == 1, f"archive_events by id: {archived}")
    got_stop = client.get_event(stop.event_id)
    check(got_stop.archived is True and got_stop.archived_at is not None, "archived event shows archived_at")
    check(stop.event_id not in client.get_events(level=0), "archived events leave get_events")
    purged = client.purge_events(older_than_days=0)
    check(purged.get("deleted_count") == 1, f"purge_events: {purged}")
    try:
        client.get_event(stop.event_id)
        check(False, "a purged event is gone")
    except httpx.HTTPStatusError as gone:
        check(gone.response.status_code == 404, "a purged event is a 404")
    notes.append("archive and purge checked")
else:
    try:
        client.archive_events(event_ids=[stop.event_id])
        notes.append("archive route answered although not expected")
    except httpx.HTTPStatusError as missing:
        notes.append(f"archive route absent ({missing.response.status_code})")

if EXPECT_BACKUP:
    backup = client.create_backup()
    check(backup.get("status") == "completed" and backup.get("backup_path"), f"create_backup: {backup}")
    status = client.get_backup_status()  # GET /backup: the 0.8 client's path
    check(any(b["path"] == backup["backup_path"] and b["is_valid"] for b in status["available_backups"]), f"get_backup_status: {status}")
    notes.append("backup checked")

client.close()
print(json.dumps({"checks": checks, "events": len(everything), "notes": notes}))
