"""Layer "api", batch/v1: what kubernetes pkg/apis/batch/validation/validation.go rejects beyond the schema:
Job counters and modes, CronJob schedules (robfig/cron standard syntax), time zones and name lengths.
(restartPolicy of the pod template is CG-POD-010.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from chartgen.check.helpers import as_dict, selector_matches, spec_of, strict_int
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
LAYER = "api"
SRC = "kubernetes pkg/apis/batch/validation/validation.go"
MAX_INDEXED_COMPLETIONS = 100_000
CRONJOB_NAME_MAX = 52  # the controller appends "-<11 digit timestamp>" to make Job names (<= 63)

DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
# field: (min, max, names)
CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 6, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


def _cron_value(text: str, lo: int, hi: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    low = text.lower()
    if low in names:
        return names.index(low) + lo
    return None


def _cron_field_error(text: str, name: str, lo: int, hi: int, names: tuple[str, ...]) -> str | None:
    for part in text.split(","):
        if not part:
            return f"empty entry in the {name} field"
        rng, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return f"invalid step {step!r} in the {name} field"
        if rng in ("*", "?"):
            continue
        start_text, dash, end_text = rng.partition("-")
        start = _cron_value(start_text, lo, hi, names)
        end = _cron_value(end_text, lo, hi, names) if dash else start
        # robfig/cron/v3 (what the CronJob controller parses with) bounds day of week to 0-6: 7 is an error
        if start is None or end is None:
            return f"{rng!r} is not a number{' or name' if names else ''} in the {name} field"
        if not lo <= start <= hi or not lo <= end <= hi:
            return f"{rng!r} is outside {lo}-{hi} in the {name} field"
        if start > end:
            return f"range {rng!r} goes backwards in the {name} field"
    return None


def cron_error(schedule: str) -> str | None:
    """Why the Kubernetes CronJob controller (robfig/cron ParseStandard) rejects a schedule, or None."""
    text = schedule.strip()
    if not text:
        return "is empty"
    if text.startswith(("TZ=", "CRON_TZ=")):
        return "uses TZ or CRON_TZ, which is not supported: set spec.timeZone instead"
    if text.startswith("@"):
        if text in DESCRIPTORS:
            return None
        if text.startswith("@every "):
            return None if _DURATION.match(text[len("@every "):].strip()) else "has an invalid @every duration"
        return f"unrecognized descriptor {text.split()[0]!r}"
    fields = text.split()
    if len(fields) != 5:
        return f"has {len(fields)} fields; expected exactly 5 (minute hour day-of-month month day-of-week)"
    for value, (name, lo, hi, names) in zip(fields, CRON_FIELDS, strict=True):
        if err := _cron_field_error(value, name, lo, hi, names):
            return err
    return None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    import zoneinfo  # only for a CronJob's timeZone (its import reads sysconfig: ~4 ms of every check process)

    return frozenset(zoneinfo.available_timezones())


def time_zone_error(tz: str) -> str | None:
    if tz in ("", "Local") or tz.strip() != tz:
        return "is not a valid time zone (Local and empty names are rejected)"
    zones = _zones()
    if zones and tz not in zones and tz != "UTC":
        return "is not a known IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)"
    return None


def _job_specs(index: ManifestIndex) -> Iterator[tuple[Document, str, dict[str, Any]]]:
    for doc in index.kind("Job"):
        if doc.api_version.startswith("batch/"):
            yield doc, "spec", spec_of(doc)
    for doc in index.kind("CronJob"):
        if doc.api_version.startswith("batch/"):
            yield doc, "spec.jobTemplate.spec", as_dict(as_dict(spec_of(doc).get("jobTemplate")).get("spec"))


def _selector_and_policies(doc: Document, base: str, spec: dict[str, Any]) -> Iterator[Finding]:
    """ValidateGeneratedSelector / validateJobSpec: a selector needs manualSelector (the generated one carries the
    Job's uid) and must then match the template; podReplacementPolicy Failed with a podFailurePolicy; a
    successPolicy needs Indexed completion."""
    selector = spec.get("selector")
    labels = as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("labels"))
    if isinstance(selector, dict) and spec.get("manualSelector") is not True:
        yield finding("CG-BATCH-001", doc, f"{base}.selector: Invalid value: `selector` not auto-generated (set "
                      "manualSelector: true to choose it, or drop it)", field=f"{base}.selector")
    elif isinstance(selector, dict) and not selector_matches(selector, labels):
        yield finding("CG-BATCH-001", doc, f"{base}.template.metadata.labels: Invalid value: `selector` does not "
                      "match template `labels`", field=f"{base}.template.metadata.labels")
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None and replacement not in ("TerminatingOrFailed", "Failed"):
        yield finding("CG-BATCH-001", doc, f"{base}.podReplacementPolicy: Unsupported value: {replacement!r}: "
                      "supported values: \"Failed\", \"TerminatingOrFailed\"", field=f"{base}.podReplacementPolicy")
    elif replacement == "TerminatingOrFailed" and spec.get("podFailurePolicy") is not None:
        yield finding("CG-BATCH-001", doc, f"{base}.podReplacementPolicy: Unsupported value: "
                      "\"TerminatingOrFailed\": supported values: \"Failed\" (when podFailurePolicy is set)",
                      field=f"{base}.podReplacementPolicy")
    if spec.get("successPolicy") is not None and spec.get("completionMode") != "Indexed":
        yield finding("CG-BATCH-001", doc, f"{base}.successPolicy: Invalid value: requires indexed completion mode",
                      field=f"{base}.successPolicy")


POD_FAILURE_ACTIONS = ("FailJob", "FailIndex", "Ignore", "Count")


def _exit_codes(doc: Document, fld: str, codes: dict[str, Any], names: set[str]) -> Iterator[Finding]:
    """validatePodFailurePolicyRuleOnExitCodes: a container it names exists; In/NotIn; 1-255 sorted unique values,
    no 0 with In."""
    name = codes.get("containerName")
    if isinstance(name, str) and name not in names:
        yield finding("CG-BATCH-001", doc, f"{fld}.containerName: Invalid value: {name!r}: must be one of the "
                      f"container or initContainer names in the pod template ({', '.join(sorted(names))})",
                      field=f"{fld}.containerName")
    op = codes.get("operator")
    if op is not None and op not in ("In", "NotIn"):
        yield finding("CG-BATCH-001", doc, f"{fld}.operator: Unsupported value: {op!r}: supported values: \"In\", "
                      "\"NotIn\"", field=f"{fld}.operator")
    values = [v for v in (codes.get("values") or []) if isinstance(v, int)]
    if not values or len(values) > 255:
        yield finding("CG-BATCH-001", doc, f"{fld}.values: Invalid value: must have 1 to 255 values",
                      field=f"{fld}.values")
    elif values != sorted(set(values)):
        yield finding("CG-BATCH-001", doc, f"{fld}.values: Invalid value: {values}: must be ordered and without "
                      "duplicates", field=f"{fld}.values")
    if op == "In" and 0 in values:
        yield finding("CG-BATCH-001", doc, f"{fld}.values: Invalid value: 0: must not be 0 for the In operator",
                      field=f"{fld}.values")


def _pod_failure_policy(doc: Document, fld: str, spec: dict[str, Any]) -> Iterator[Finding]:
    """validatePodFailurePolicy: at most 20 rules, a known action, exactly one of onExitCodes / onPodConditions,
    FailIndex only with backoffLimitPerIndex."""
    rules = as_dict(spec.get("podFailurePolicy")).get("rules")
    if not isinstance(rules, list):
        return
    if len(rules) > 20:
        yield finding("CG-BATCH-001", doc, f"{fld}.rules: Too many: {len(rules)}: must have at most 20 items",
                      field=f"{fld}.rules")
    pod = as_dict(as_dict(spec.get("template")).get("spec"))
    names = {str(as_dict(c).get("name")) for key in ("containers", "initContainers") for c in pod.get(key) or []}
    for i, r in enumerate(rules):
        r, rfld = as_dict(r), f"{fld}.rules[{i}]"
        action = r.get("action")
        if action is not None and action not in POD_FAILURE_ACTIONS:
            yield finding("CG-BATCH-001", doc, f"{rfld}.action: Unsupported value: {action!r}: supported values: "
                          + ", ".join(f'"{a}"' for a in POD_FAILURE_ACTIONS), field=f"{rfld}.action")
        if action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
            yield finding("CG-BATCH-001", doc, f"{rfld}.action: Forbidden: set backoffLimitPerIndex to use "
                          "FailIndex", field=f"{rfld}.action")
        if (r.get("onExitCodes") is None) == (r.get("onPodConditions") is None):
            yield finding("CG-BATCH-001", doc, f"{rfld}: Invalid value: specify one of onExitCodes and "
                          "onPodConditions, but not both", field=rfld)
        elif isinstance(r.get("onExitCodes"), dict):
            yield from _exit_codes(doc, f"{rfld}.onExitCodes", r["onExitCodes"], names)


@rule("CG-BATCH-001", E, "Job counters or modes invalid (negative counts, Indexed without completions, ...)", LAYER,
      why=f"ValidateJobSpec ({SRC}): parallelism, completions, backoffLimit, activeDeadlineSeconds and "
          "ttlSecondsAfterFinished must be >= 0; completionMode is NonIndexed or Indexed; an Indexed Job needs "
          "completions (at most 100000); backoffLimitPerIndex needs Indexed; podFailurePolicy needs the pod "
          "restartPolicy Never, and its rules a known action, one of onExitCodes/onPodConditions, exit codes "
          "sorted without 0 for In, and a containerName the pod template has.",
      fix="use non-negative counters; set completions for Indexed Jobs; use restartPolicy Never with podFailurePolicy",
      example="""\
apiVersion: batch/v1
kind: Job
metadata: {name: shard}
spec:
  completionMode: Indexed
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers: [{name: shard, image: busybox:1.36}]
""")
def job_spec(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc, base, spec in _job_specs(index):
        for key in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds",
                    "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"):
            val = strict_int(spec.get(key))
            if val is not None and val < 0:
                yield finding("CG-BATCH-001", doc, f"{base}.{key}: Invalid value: {val}: must be greater than or "
                              "equal to 0", field=f"{base}.{key}")
        mode = spec.get("completionMode")
        if mode is not None and mode not in ("NonIndexed", "Indexed"):
            yield finding("CG-BATCH-001", doc, f"{base}.completionMode: Unsupported value: {mode!r}: supported "
                          "values: \"NonIndexed\", \"Indexed\"", field=f"{base}.completionMode")
        completions = strict_int(spec.get("completions"))
        if mode == "Indexed":
            if completions is None:
                yield finding("CG-BATCH-001", doc, f"{base}.completions: Required value: when completion mode is "
                              "Indexed", field=f"{base}.completions")
            elif completions > MAX_INDEXED_COMPLETIONS:
                yield finding("CG-BATCH-001", doc, f"{base}.completions: Invalid value: {completions}: must be less "
                              f"than or equal to {MAX_INDEXED_COMPLETIONS} when completion mode is Indexed",
                              field=f"{base}.completions")
        elif spec.get("backoffLimitPerIndex") is not None:
            yield finding("CG-BATCH-001", doc, f"{base}.backoffLimitPerIndex: Forbidden: requires indexed completion "
                          "mode", field=f"{base}.backoffLimitPerIndex")
        if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
            yield finding("CG-BATCH-001", doc, f"{base}.maxFailedIndexes: Required value: when maxFailedIndexes is "
                          "specified, backoffLimitPerIndex must be specified", field=f"{base}.maxFailedIndexes")
        restart = as_dict(as_dict(spec.get("template")).get("spec")).get("restartPolicy")
        if spec.get("podFailurePolicy") is not None and restart not in (None, "Never"):
            yield finding("CG-BATCH-001", doc, f"{base}.template.spec.restartPolicy: Invalid value: {restart!r}: "
                          "only \"Never\" is supported when podFailurePolicy is specified",
                          field=f"{base}.template.spec.restartPolicy")
        yield from _pod_failure_policy(doc, f"{base}.podFailurePolicy", spec)
        yield from _selector_and_policies(doc, base, spec)
        if doc.kind == "Job" and len(doc.name) > 63:
            yield finding("CG-BATCH-001", doc, f"metadata.name {doc.name!r} has {len(doc.name)} characters: the "
                          "Job's pods are labelled batch.kubernetes.io/job-name=<name> and label values must be no "
                          "more than 63 characters (older API servers reject it; newer ones drop the label)",
                          field="metadata.name", severity=W)


@rule("CG-BATCH-002", E, "CronJob schedule, timeZone, concurrencyPolicy, limits or name invalid", LAYER,
      why=f"ValidateCronJobSpec ({SRC}): the schedule must parse as a standard 5-field cron expression (or "
          "@hourly, @daily, ...) without TZ=/CRON_TZ=; timeZone must be a known IANA name; concurrencyPolicy is "
          "Allow, Forbid or Replace; deadlines and history limits must be >= 0; the name at most 52 characters.",
      fix="write the schedule as 'minute hour day-of-month month day-of-week' (e.g. '15 3 * * 1-5') and put the "
          "zone in spec.timeZone",
      example="""\
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: '0 25 * * *'
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: busybox:1.36}]
""")
def cronjob_spec(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("CronJob"):
        if not doc.api_version.startswith("batch/"):
            continue
        spec = spec_of(doc)
        schedule = spec.get("schedule")
        if isinstance(schedule, str) and (err := cron_error(schedule)):
            yield finding("CG-BATCH-002", doc, f"spec.schedule: Invalid value: {schedule!r}: {err}",
                          field="spec.schedule")
        tz = spec.get("timeZone")
        if isinstance(tz, str) and (err := time_zone_error(tz)):
            yield finding("CG-BATCH-002", doc, f"spec.timeZone: Invalid value: {tz!r}: {err}", field="spec.timeZone")
        policy = spec.get("concurrencyPolicy")
        if policy is not None and policy not in ("Allow", "Forbid", "Replace"):
            yield finding("CG-BATCH-002", doc, f"spec.concurrencyPolicy: Unsupported value: {policy!r}: supported "
                          "values: \"Allow\", \"Forbid\", \"Replace\"", field="spec.concurrencyPolicy")
        for key in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            val = strict_int(spec.get(key))
            if val is not None and val < 0:
                yield finding("CG-BATCH-002", doc, f"spec.{key}: Invalid value: {val}: must be greater than or equal "
                              "to 0", field=f"spec.{key}")
        if len(doc.name) > CRONJOB_NAME_MAX:
            yield finding("CG-BATCH-002", doc, f"metadata.name: Invalid value: {doc.name!r}: must be no more than "
                          f"{CRONJOB_NAME_MAX} characters", field="metadata.name")
