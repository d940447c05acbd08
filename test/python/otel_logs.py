"""A stock OpenTelemetry Python program: the standard library's logging through the SDK's
LoggingHandler, exported by the OTLP/HTTP (protobuf) exporter. Nothing here knows lab-events: the
endpoint, headers and resource come from the standard OTEL_* variables the test sets.

Logs one record per level with attributes, then one inside a span, and prints that span's ids.
"""

import json
import logging

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

resource = Resource.create()  # service.name and madsci.* from OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
trace.set_tracer_provider(TracerProvider(resource=resource))
provider = LoggerProvider(resource=resource)
provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
handler = LoggingHandler(level=logging.DEBUG, logger_provider=provider)

log = logging.getLogger("instrument.py")
log.setLevel(logging.DEBUG)
log.addHandler(handler)

log.debug("py debug", extra={"plate": "P-1", "well": 1})
log.info("py info", extra={"plate": "P-1", "well": 2})
log.warning("py warning", extra={"plate": "P-1", "well": 3})
log.error("py error", extra={"plate": "P-1", "well": 4})
log.critical("py critical", extra={"plate": "P-1", "well": 5})

with trace.get_tracer("instrument.py").start_as_current_span("measure") as span:
    log.info("py inside span", extra={"step": "measure"})
    context = span.get_span_context()

provider.shutdown()
print(json.dumps({"traceId": format(context.trace_id, "032x"), "spanId": format(context.span_id, "016x")}))
