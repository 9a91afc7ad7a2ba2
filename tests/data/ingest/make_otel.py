"""Write the OTLP JSON fixtures with the real OpenTelemetry SDK and OTLP encoder.

Run (needs ``pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-common``;
not costplan dependencies):

    python tests/data/ingest/make_otel.py

Spans are recorded by the SDK (``TracerProvider`` + ``InMemorySpanExporter``) with
fixed start/end times, encoded by the OTLP exporter's own encoder
(``encode_spans`` -> ``ExportTraceServiceRequest``) and written with protobuf's
``json_format`` (OTLP/JSON: lowerCamelCase, 64-bit integers as strings), one export
request per line as the OpenTelemetry file exporter does. (protobuf's JSON writes
``traceId``/``spanId`` as base64, where OTLP/JSON wants hex; costplan reads neither.)

``otel_real_genai.jsonl`` (current GenAI conventions, ``gen_ai.provider.name``),
resource ``service.name=support-bot``, task in span attribute ``app.task``:

=====  =======  ===========  =====  ======  =========  ==========  ==========================
line   task     model        input  cached  output     reasoning   start (UTC), duration
=====  =======  ===========  =====  ======  =========  ==========  ==========================
1      triage   gpt-4o-mini  1200   1000    80         -           2026-11-02 00:00, 800 ms
1      triage   gpt-4o-mini  1000   0       120        -           2026-11-03 00:00, 1200 ms
2      triage   o4-mini      1100   0       700 (incl) 500         2026-11-03 12:00, 3000 ms
2      (HTTP span, no GenAI attributes: skipped)
2      (execute_tool span: skipped)
=====  =======  ===========  =====  ======  =========  ==========  ==========================

``otel_real_genai_old_semconv.jsonl`` (the conventions before v1.27: ``gen_ai.system``,
``gen_ai.usage.prompt_tokens`` / ``completion_tokens``, no ``gen_ai.operation.name``),
task in the *resource* attribute ``app.task``: two ``gpt-4o`` spans, prompt 500 and
700, completion 50 and 150, on 2026-11-04 00:00 and 06:00, 1000 and 2000 ms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToJson
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

HERE = Path(__file__).resolve().parent
MS = 1_000_000


def _ns(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp()) * 10**9


def _write(path: Path, batches: list[list[tuple[str, str, int, dict[str, Any]]]],
           resource: dict[str, Any]) -> None:  # fmt: skip
    lines = []
    for batch in batches:
        exporter = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.create(resource))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = provider.get_tracer("costplan.fixtures", "1.0")
        for name, start, ms, attrs in batch:
            span = tracer.start_span(name, start_time=_ns(start), attributes=attrs)
            span.end(end_time=_ns(start) + ms * MS)
        request = encode_spans(exporter.get_finished_spans())
        lines.append(MessageToJson(request, indent=None))
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    def chat(model: str, inp: int, out: int, **extra: Any) -> dict[str, Any]:
        return {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": model, "gen_ai.response.model": model + "-2025-04-16",
                "gen_ai.usage.input_tokens": inp, "gen_ai.usage.output_tokens": out,
                "app.task": "triage", **extra}  # fmt: skip

    _write(
        HERE / "otel_real_genai.jsonl",
        [
            [
                ("chat gpt-4o-mini", "2026-11-02T00:00:00", 800,
                 chat("gpt-4o-mini", 1200, 80,
                      **{"gen_ai.usage.cache_read.input_tokens": 1000})),
                ("chat gpt-4o-mini", "2026-11-03T00:00:00", 1200, chat("gpt-4o-mini", 1000, 120)),
            ],
            [
                ("chat o4-mini", "2026-11-03T12:00:00", 3000,
                 chat("o4-mini", 1100, 700, **{"gen_ai.usage.reasoning.output_tokens": 500})),
                ("GET /v1/tickets", "2026-11-03T12:00:00", 5000,
                 {"http.request.method": "GET", "url.path": "/v1/tickets"}),
                ("execute_tool lookup", "2026-11-03T12:00:01", 20,
                 {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"}),
            ],
        ],
        {"service.name": "support-bot"},
    )  # fmt: skip

    def old(inp: int, out: int) -> dict[str, Any]:
        return {
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.prompt_tokens": inp,
            "gen_ai.usage.completion_tokens": out,
        }

    _write(
        HERE / "otel_real_genai_old_semconv.jsonl",
        [[("openai.chat", "2026-11-04T00:00:00", 1000, old(500, 50)),
          ("openai.chat", "2026-11-04T06:00:00", 2000, old(700, 150))]],
        {"service.name": "report-writer", "app.task": "report"},
    )  # fmt: skip


if __name__ == "__main__":
    main()
