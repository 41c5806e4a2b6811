"""Kubernetes batch/v1 (pkg/apis/batch/validation/validation.go): Jobs and CronJobs."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_JOB = "kubernetes pkg/apis/batch/validation: ValidateJobSpec"
_CRON = "kubernetes pkg/apis/batch/validation: ValidateCronJobSpec"

ENTRIES: tuple[Upstream, ...] = (
    Upstream("k8s.batch.job.counters", _JOB, "parallelism, completions, backoffLimit, activeDeadlineSeconds, "
             "ttlSecondsAfterFinished are >= 0", rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.completion-mode", _JOB, "completionMode is NonIndexed or Indexed; Indexed needs "
             "completions (at most 100000)", rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.backoff-per-index", _JOB, "backoffLimitPerIndex needs Indexed; maxFailedIndexes needs "
             "backoffLimitPerIndex", rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.pod-failure-policy-restart", _JOB, "podFailurePolicy needs restartPolicy Never",
             rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.pod-failure-policy-container", "kubernetes pkg/apis/batch/validation: "
             "validatePodFailurePolicyRuleOnExitCodes", "an onExitCodes containerName is a container of the "
             "template", rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.pod-failure-policy-exit-codes", "kubernetes pkg/apis/batch/validation: "
             "validatePodFailurePolicyRuleOnExitCodes", "exit codes are sorted, unique, without 0 for In",
             rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.pod-failure-policy-rule", "kubernetes pkg/apis/batch/validation: "
             "validatePodFailurePolicy", "a rule has a known action and exactly one of onExitCodes/onPodConditions; "
             "FailIndex needs backoffLimitPerIndex", rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.selector", "kubernetes pkg/apis/batch/validation: ValidateGeneratedSelector", "a "
             "Job sets no selector unless manualSelector is true (the generated one carries the Job's uid), and a "
             "manual selector matches the template", rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.pod-replacement-policy", "kubernetes pkg/apis/batch/validation: "
             "validatePodReplacementPolicy", "podReplacementPolicy is TerminatingOrFailed or Failed, and Failed "
             "with a podFailurePolicy", rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.success-policy", _JOB, "a successPolicy needs completionMode Indexed",
             rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.name-length", "kubernetes pkg/controller/job (job-name pod label)", "a Job name fits "
             "the 63-character label value its pods carry", rules=("CG-BATCH-001",)),
    Upstream("k8s.batch.job.restart-policy", _JOB, "the template's restartPolicy is OnFailure or Never",
             rules=("CG-POD-010",)),
    Upstream("k8s.batch.cronjob.schedule-fields", _CRON, "the schedule has five fields (minute hour day-of-month "
             "month day-of-week)", rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.schedule-range", _CRON, "each field's values and ranges lie within its bounds and "
             "do not go backwards", rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.schedule-day-of-week", _CRON + " (robfig/cron/v3 ParseStandard)", "day of week is "
             "0-6 (7 is rejected, unlike Vixie cron)", rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.schedule-step", _CRON, "a step is a positive number", rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.schedule-names", _CRON, "month and day-of-week names are the three-letter English "
             "names, only in those fields", rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.schedule-macro", _CRON, "a descriptor is @yearly, @annually, @monthly, @weekly, "
             "@daily, @midnight, @hourly or @every <duration>", rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.schedule-tz", _CRON, "the schedule carries no TZ= or CRON_TZ= (use timeZone)",
             rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.time-zone", _CRON, "timeZone is a known IANA name", rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.concurrency-policy", _CRON, "concurrencyPolicy is Allow, Forbid or Replace",
             rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.limits", _CRON, "startingDeadlineSeconds and history limits are >= 0",
             rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.name-length", "kubernetes pkg/apis/batch/validation: ValidateCronJob", "the name "
             "is at most 52 characters (the controller appends a timestamp)", rules=("CG-BATCH-002",)),
    Upstream("k8s.batch.cronjob.time-zone-database", "kubernetes pkg/controller/cronjob", "the controller's time "
             "zone database knows the zone", offline="the controller manager's tzdata version is the cluster's; "
             "names unknown to Python's database are decided by k8s.batch.cronjob.time-zone"),
)
